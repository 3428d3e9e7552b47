/**
 * Reads Google errors by shape (httpStatus / status / reason / metadata), so the
 * engine relies on the error model's fields, not on one class identity.
 */
export interface GcpErrorInfo {
  httpStatus?: number;
  status?: string;
  reason?: string;
  permission?: string;
  message: string;
}

export function gcpErrorInfo(error: unknown): GcpErrorInfo {
  const e = (error ?? {}) as {
    httpStatus?: number;
    status?: unknown;
    reason?: string;
    metadata?: Record<string, string>;
    message?: string;
  };
  return {
    httpStatus: e.httpStatus ?? (typeof e.status === 'number' ? e.status : undefined),
    status: typeof e.status === 'string' ? e.status : undefined,
    reason: e.reason,
    permission: e.metadata?.permission ?? e.metadata?.permissions,
    message: e.message ?? String(error),
  };
}

/** 403 because the API is not enabled yet: to a read, the resource simply does not exist yet. */
export function isServiceDisabled(error: unknown): boolean {
  const info = gcpErrorInfo(error);
  return info.reason === 'SERVICE_DISABLED' || /SERVICE_DISABLED|has not been used|is disabled/i.test(info.message);
}

export function isPermissionDenied(error: unknown): boolean {
  const info = gcpErrorInfo(error);
  return (info.status === 'PERMISSION_DENIED' || info.httpStatus === 403) && !isServiceDisabled(error);
}

export function isStatus(error: unknown, status: string): boolean {
  return gcpErrorInfo(error).status === status;
}

/** One line naming the missing permission when Google said which. */
export function describeGcpError(error: unknown): string {
  const info = gcpErrorInfo(error);
  if (isPermissionDenied(error) && info.permission) {
    return `permission denied: ${info.permission} is missing (${info.message})`;
  }
  return info.message;
}
