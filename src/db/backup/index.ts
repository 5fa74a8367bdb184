/** Backup and restore of Ferry's PostgreSQL data without pg_dump (`ferry backup`, `ferry restore`). */
export { BackupFormatError, type BackupManifest } from './format';
export { NothingToBackUpError, writeBackup, hasJobs, type BackupSummary } from './write-backup';
export { RestoreRefusedError, migrationsToApply, readManifest, restoreBackup, type RestoreSummary } from './restore-backup';
export { secretsKeyLocation } from './secrets-key';
