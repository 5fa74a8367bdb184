import { STATUS_CODES } from 'node:http';
import { PermanentProvisioningError, TransientProvisioningError } from '../plugin';
import { ScimHttpError, ScimNotScimError, ScimTransportError } from './client';

/** Statuses that say "not now" rather than "not this data". */
const TRANSIENT_STATUSES = new Set([
  408, // request timeout
  412, // If-Match failed: someone changed the resource since Ferry read it; the next attempt reads again
  425,
  429,
  500,
  502,
  503,
  504,
]);

/** TLS failures do not pass by waiting: the certificate or the configuration must change. */
const PERMANENT_TRANSPORT_CODES = /CERT|SELF_SIGNED|ERR_TLS|UNABLE_TO_(GET|VERIFY)|HOSTNAME_MISMATCH|ERR_INVALID_URL/i;

export function isStatus(error: unknown, ...statuses: number[]): error is ScimHttpError {
  return error instanceof ScimHttpError && statuses.includes(error.status);
}

function httpMessage(error: ScimHttpError, operation: string): string {
  const reason = [error.scimType, error.detail].filter(Boolean).join(': ');
  const statusLine = STATUS_CODES[error.status] ? `HTTP ${error.status} ${STATUS_CODES[error.status]}` : `HTTP ${error.status}`;
  const redirect = error.status >= 300 && error.status < 400 ? ': Ferry does not follow redirects; configure the final URL' : '';
  return `SCIM ${operation} failed: ${error.method} ${error.path} answered ${statusLine}${reason ? ` (${reason})` : ''}${redirect}`;
}

/**
 * Turns a client error into the plugin contract's error. `operation` names what failed, e.g.
 * "PERSON_UPDATED of person 0194...".
 */
export function provisioningError(error: unknown, operation: string, origin: string): PermanentProvisioningError | TransientProvisioningError {
  if (error instanceof PermanentProvisioningError || error instanceof TransientProvisioningError) return error;
  if (error instanceof ScimHttpError) {
    const message = httpMessage(error, operation);
    // 5xx is transient except 501: "not implemented" will not be implemented by waiting.
    const transient = TRANSIENT_STATUSES.has(error.status) || (error.status >= 500 && error.status !== 501);
    return transient
      ? new TransientProvisioningError(message, { cause: error, retryAfterMs: error.retryAfterMs })
      : new PermanentProvisioningError(message, { cause: error });
  }
  if (error instanceof ScimNotScimError) {
    // Often a proxy or maintenance page in front of the service, which passes: retried, not dropped.
    return new TransientProvisioningError(
      `SCIM ${operation} failed: ${error.message}, so the change may not have been applied (a login or maintenance page in front of the service? check baseUrl)`,
      { cause: error },
    );
  }
  if (error instanceof ScimTransportError) {
    if (error.addressRefused) {
      return new PermanentProvisioningError(`SCIM ${operation} failed: ${origin} not called: ${error.message}`, { cause: error });
    }
    if (error.code && PERMANENT_TRANSPORT_CODES.test(error.code)) {
      return new PermanentProvisioningError(`SCIM ${operation} failed: ${origin} refused the connection: ${error.message}`, { cause: error });
    }
    return new TransientProvisioningError(`SCIM server ${origin} unavailable during ${operation}: ${error.message}`, { cause: error });
  }
  const text = error instanceof Error ? error.message : String(error);
  return new PermanentProvisioningError(`SCIM ${operation} on ${origin} failed: ${text}`, { cause: error });
}
