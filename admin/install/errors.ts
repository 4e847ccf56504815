/**
 * Install and uninstall failures, one class per code (admin/README.md). Exit codes are rows of the
 * shared table: an unusable argument is a usage error (2), everything else a failure (1).
 */
import { BalanceError } from '../../shared/errors.ts';
import { EXIT } from '../../shared/exit-codes.ts';

/** `--root`, `--chroot` or `--prefix` is not usable. */
export class InstallArgumentError extends BalanceError {
  constructor(message: string) {
    super('ERR_INSTALL_ARGUMENT', message, { exitCode: EXIT.usage });
  }
}

/** The bundles could not be found or built. */
export class InstallBundleError extends BalanceError {
  constructor(message: string, cause?: unknown) {
    super('ERR_INSTALL_BUNDLE', message, { cause });
  }
}

/** A target file exists that ltsp-balance did not write. */
export class InstallConflictError extends BalanceError {
  constructor(message: string) {
    super('ERR_INSTALL_CONFLICT', message);
  }
}

/** A write or rename failed (the manifest still records what was written). */
export class InstallIoError extends BalanceError {
  constructor(message: string, cause?: unknown) {
    super('ERR_INSTALL_IO', message, { cause });
  }
}

/** The manifest is unreadable or fails validation. */
export class InstallManifestError extends BalanceError {
  constructor(message: string, cause?: unknown) {
    super('ERR_INSTALL_MANIFEST', message, { cause });
  }
}

/** `uninstall`: no manifest under `--root`. */
export class NotInstalledError extends BalanceError {
  constructor(message: string) {
    super('ERR_INSTALL_NOT_INSTALLED', message);
  }
}
