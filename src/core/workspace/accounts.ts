/** Signing in to Google Cloud without Application Default Credentials (`orchestra-migrate login`). */
export { CLOUD_PLATFORM_SCOPE, orchestraLoginFile } from '../gcp/auth';
export { describeIdentity } from '../gcp/identity';
