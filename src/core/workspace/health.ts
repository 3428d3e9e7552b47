/** The health report as text (`orchestra-migrate health`); the check itself is Workspace.health(). */
export { formatHealth, type HealthReport, type HealthCheck } from '../health';
