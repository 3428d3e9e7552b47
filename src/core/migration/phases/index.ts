/** The built-in phases. A new phase: one file beside this one and one line here. */
import { PhaseRegistry } from '../registry';
import { aiCodingPhase } from './ai-coding';
import { apiDeploymentPhase } from './api-deployment';
import { coreInfrastructurePhase } from './core-infrastructure';
import { hybridConfigPhase } from './hybrid-config';
import { memorySystemPhase } from './memory-system';
import { validationPhase } from './validation';
import { workstationConfigurationPhase } from './workstation-configuration';

export function builtInPhases(): PhaseRegistry {
  return new PhaseRegistry()
    .register(coreInfrastructurePhase)
    .register(workstationConfigurationPhase)
    .register(memorySystemPhase)
    .register(hybridConfigPhase)
    .register(aiCodingPhase)
    .register(apiDeploymentPhase)
    .register(validationPhase);
}
