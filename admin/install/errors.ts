/**
 * Install and uninstall failures. Codes: ERR_INSTALL_ARGUMENT (exit 2), ERR_INSTALL_BUNDLE,
 * ERR_INSTALL_CONFLICT, ERR_INSTALL_IO, ERR_INSTALL_MANIFEST, ERR_INSTALL_NOT_INSTALLED (exit 1).
 */
import { BalanceError } from '../../shared/errors.ts';

export class InstallError extends BalanceError {
  constructor(code: string, message: string, exitCode = 1, cause?: unknown) {
    super(code, message, { exitCode, cause });
  }
}
