import { TransientProvisioningError } from '../../plugins/plugin';

export enum CircuitState {
  /** Calls go through; consecutive transient failures are counted. */
  CLOSED = 'CLOSED',
  /** The target failed too often in a row: calls fail at once until the cool-down ends. */
  OPEN = 'OPEN',
  /** The cool-down ended: one trial call goes through; its result closes or re-opens the circuit. */
  HALF_OPEN = 'HALF_OPEN',
}

export interface CircuitSettings {
  /** Consecutive transient failures that open the circuit. */
  failureThreshold: number;
  /** The first cool-down; each failed trial call doubles it, up to `cooldownMaxMs`. */
  cooldownMs: number;
  cooldownMaxMs: number;
}

export const DEFAULT_CIRCUIT_SETTINGS: CircuitSettings = { failureThreshold: 3, cooldownMs: 30_000, cooldownMaxMs: 600_000 };

/** What the API shows of a circuit. */
export interface CircuitSnapshot {
  state: CircuitState;
  consecutiveFailures: number;
  /** When the circuit last opened (null while closed). */
  openedAt: Date | null;
  /** When the next trial call is let through (null unless open). */
  retryAt: Date | null;
  /** The last transient failure (null once a call succeeds). */
  lastError: string | null;
  /** The cool-down the circuit opened (or will next open) with. */
  cooldownMs: number;
}

/** Given to a call the circuit let through; its outcome is reported with it. */
export interface CircuitTicket {
  readonly probe: boolean;
  readonly generation: number;
}

/** The failure a call gets, without the plugin being called, while the circuit is open. */
export class CircuitOpenError extends TransientProvisioningError {
  readonly circuitOpen = true;
}

/**
 * One target's circuit breaker. Transient failures in a row open it; while it is open calls are
 * refused at once; after the cool-down one trial call goes through (half-open): a success closes
 * the circuit, a transient failure re-opens it with twice the cool-down (up to the maximum).
 * Permanent failures (the target answered, the data was wrong) neither count nor reset.
 * The clock is injected so the state machine can be tested without waiting.
 */
export class TargetCircuit {
  private state = CircuitState.CLOSED;
  private failures = 0;
  private openedAt: Date | null = null;
  private retryAt: Date | null = null;
  private lastError: string | null = null;
  private cooldownMs: number;
  private probing = false;
  /** Bumped by reset(): outcomes of calls admitted before a reset are ignored. */
  private generation = 0;

  constructor(
    private readonly settings: CircuitSettings,
    private readonly now: () => number = Date.now,
  ) {
    this.cooldownMs = settings.cooldownMs;
  }

  /** Lets the call through (returns its ticket) or throws a CircuitOpenError. */
  admit(): CircuitTicket {
    if (this.state === CircuitState.OPEN && this.retryAt && this.now() >= this.retryAt.getTime()) {
      this.state = CircuitState.HALF_OPEN;
    }
    if (this.state === CircuitState.CLOSED) return { probe: false, generation: this.generation };
    if (this.state === CircuitState.HALF_OPEN && !this.probing) {
      this.probing = true;
      return { probe: true, generation: this.generation };
    }
    throw this.refusal();
  }

  /** The error a call would get now, without admitting one (null: a call would go through). */
  refusing(): CircuitOpenError | null {
    if (this.state === CircuitState.CLOSED) return null;
    if (this.state === CircuitState.OPEN && this.retryAt && this.now() >= this.retryAt.getTime()) return null;
    if (this.state === CircuitState.HALF_OPEN && !this.probing) return null;
    return this.refusal();
  }

  succeeded(ticket: CircuitTicket): void {
    if (ticket.generation !== this.generation) return;
    // The target answered: whatever was started when, it works again.
    this.close();
  }

  /** A transient failure (timeout, connection refused, 5xx...): counted. */
  failed(ticket: CircuitTicket, error: string): void {
    if (ticket.generation !== this.generation) return;
    this.failures += 1;
    this.lastError = error;
    if (ticket.probe) {
      this.probing = false;
      this.cooldownMs = Math.min(this.cooldownMs * 2, Math.max(this.settings.cooldownMaxMs, this.settings.cooldownMs));
      this.open();
    } else if (this.state === CircuitState.CLOSED && this.failures >= this.settings.failureThreshold) {
      this.open();
    }
    // A call let through before the circuit opened, failing late, changes no deadline.
  }

  /** A permanent failure: the target answered, so it neither counts nor resets; a trial call is freed. */
  neutral(ticket: CircuitTicket): void {
    if (ticket.generation !== this.generation) return;
    if (ticket.probe) this.probing = false;
  }

  /** Closes the circuit by hand (an admin knows the target is back). */
  reset(): void {
    this.generation += 1;
    this.close();
  }

  snapshot(): CircuitSnapshot {
    return {
      state: this.state,
      consecutiveFailures: this.failures,
      openedAt: this.openedAt,
      retryAt: this.retryAt,
      lastError: this.lastError,
      cooldownMs: this.cooldownMs,
    };
  }

  private open(): void {
    const now = this.now();
    this.state = CircuitState.OPEN;
    this.openedAt = new Date(now);
    this.retryAt = new Date(now + this.cooldownMs);
  }

  private close(): void {
    this.state = CircuitState.CLOSED;
    this.failures = 0;
    this.openedAt = null;
    this.retryAt = null;
    this.lastError = null;
    this.probing = false;
    this.cooldownMs = this.settings.cooldownMs;
  }

  private refusal(): CircuitOpenError {
    const after = `after ${this.failures} consecutive failure${this.failures === 1 ? '' : 's'} (last: ${this.lastError ?? 'unknown'})`;
    if (this.state === CircuitState.HALF_OPEN) {
      return new CircuitOpenError(`target unavailable: circuit half-open ${after}; a trial call is in progress`, { retryAfterMs: this.cooldownMs });
    }
    const retryAt = this.retryAt!;
    return new CircuitOpenError(`target unavailable: circuit open ${after}; next attempt after ${retryAt.toISOString()}`, {
      retryAfterMs: Math.max(0, retryAt.getTime() - this.now()),
    });
  }
}
