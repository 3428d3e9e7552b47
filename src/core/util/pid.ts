/**
 * Whether a process with this pid exists on this machine. One meaning for every owner
 * check (the migration lock, the outbox lock): a process we may not signal (EPERM)
 * still exists, so its lock is not stale.
 */
export function isPidAlive(pid: number): boolean {
  // 0 and negative pids name process groups: kill(0, 0) would always succeed.
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
