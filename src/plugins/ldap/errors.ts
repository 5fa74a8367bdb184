import { NameTooLongError } from './dn';
import { ResultCodeError } from 'ldapts';
import { PermanentProvisioningError, TransientProvisioningError } from '../plugin';

/** RFC 4511 result names, which is what directory administrators search for. */
const RESULT_NAMES: Record<number, string> = {
  1: 'operationsError',
  2: 'protocolError',
  3: 'timeLimitExceeded',
  4: 'sizeLimitExceeded',
  7: 'authMethodNotSupported',
  8: 'strongerAuthRequired',
  11: 'adminLimitExceeded',
  12: 'unavailableCriticalExtension',
  13: 'confidentialityRequired',
  16: 'noSuchAttribute',
  17: 'undefinedAttributeType',
  18: 'inappropriateMatching',
  19: 'constraintViolation',
  20: 'attributeOrValueExists',
  21: 'invalidAttributeSyntax',
  32: 'noSuchObject',
  34: 'invalidDNSyntax',
  48: 'inappropriateAuthentication',
  49: 'invalidCredentials',
  50: 'insufficientAccessRights',
  51: 'busy',
  52: 'unavailable',
  53: 'unwillingToPerform',
  54: 'loopDetect',
  64: 'namingViolation',
  65: 'objectClassViolation',
  66: 'notAllowedOnNonLeaf',
  67: 'notAllowedOnRDN',
  68: 'entryAlreadyExists',
  69: 'objectClassModsProhibited',
  80: 'other',
  122: 'assertionFailed',
};

export const NO_SUCH_OBJECT = 32;
export const ENTRY_ALREADY_EXISTS = 68;
/** RFC 4528: the entry did not match the Assertion control's filter. */
export const ASSERTION_FAILED = 122;

/** Result codes that say "not now" rather than "not this data". */
const TRANSIENT_RESULT_CODES = new Set([3, 11, 51, 52]);

/** Socket-level failures: the server is down, unreachable or dropped the connection. */
const TRANSIENT_SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'EPIPE',
  'EAI_AGAIN',
]);

/** ldapts reports timeouts and dropped connections as plain Errors with these messages. */
const TRANSIENT_MESSAGES = /timed out|timeout|connection closed|socket error|socket connection not established/i;

export function resultCode(error: unknown): number | null {
  return error instanceof ResultCodeError ? error.code : null;
}

function serverMessage(error: ResultCodeError): string {
  return error.message.replace(/\s*Code: 0x[0-9a-f]+$/i, '').trim();
}

/**
 * Turns an ldapts or socket error into the plugin contract's error. `operation` names what failed
 * and on which DN, e.g. "add of uid=ada,ou=people,dc=example,dc=org".
 */
export function provisioningError(error: unknown, operation: string, url: string): PermanentProvisioningError | TransientProvisioningError {
  if (error instanceof PermanentProvisioningError || error instanceof TransientProvisioningError) return error;
  if (error instanceof NameTooLongError) return new PermanentProvisioningError(`cannot provision to LDAP: ${error.message}`);
  if (error instanceof ResultCodeError) {
    const name = RESULT_NAMES[error.code] ?? `result ${error.code}`;
    const detail = serverMessage(error);
    const message = `LDAP ${operation} failed: ${name} (${error.code})${detail ? `: ${detail}` : ''}`;
    return TRANSIENT_RESULT_CODES.has(error.code)
      ? new TransientProvisioningError(message, { cause: error })
      : new PermanentProvisioningError(message, { cause: error });
  }
  const code = (error as NodeJS.ErrnoException | null)?.code;
  const text = error instanceof Error ? error.message : String(error);
  if ((code && TRANSIENT_SOCKET_CODES.has(code)) || TRANSIENT_MESSAGES.test(text)) {
    return new TransientProvisioningError(`LDAP server ${url} unavailable during ${operation}: ${text}`, { cause: error });
  }
  return new PermanentProvisioningError(`LDAP ${operation} on ${url} failed: ${text}`, { cause: error });
}
