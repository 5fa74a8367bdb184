import { TransientProvisioningError, type TargetContext } from '../../plugins/plugin';
import { CircuitState, DEFAULT_CIRCUIT_SETTINGS, TargetCircuit, type CircuitSettings, type CircuitSnapshot } from './target-circuit';

export interface TargetHealthSettings extends CircuitSettings {
  /** The most one plugin call may take, whatever the target's own timeout. */
  callTimeoutMs: number;
  /** A call running this long marks its target stalled (FERRY_TARGET_STALLED_MS). */
  stalledMs: number;
}

export const DEFAULT_TARGET_HEALTH_SETTINGS: TargetHealthSettings = { ...DEFAULT_CIRCUIT_SETTINGS, callTimeoutMs: 30_000, stalledMs: 1000 };

/** The call budget is this many times the target's own per-operation timeout (`timeoutMs`). */
const BUDGET_PER_OPERATION_TIMEOUT = 3;

/** The settings from the environment (src/config/config.ts). */
export function targetHealthSettings(config: {
  FERRY_TARGET_FAILURE_THRESHOLD: number;
  FERRY_TARGET_COOLDOWN_MS: number;
  FERRY_TARGET_COOLDOWN_MAX_MS: number;
  FERRY_TARGET_CALL_TIMEOUT_MS: number;
  FERRY_TARGET_STALLED_MS: number;
}): TargetHealthSettings {
  return {
    failureThreshold: config.FERRY_TARGET_FAILURE_THRESHOLD,
    cooldownMs: config.FERRY_TARGET_COOLDOWN_MS,
    cooldownMaxMs: Math.max(config.FERRY_TARGET_COOLDOWN_MS, config.FERRY_TARGET_COOLDOWN_MAX_MS),
    callTimeoutMs: config.FERRY_TARGET_CALL_TIMEOUT_MS,
    stalledMs: config.FERRY_TARGET_STALLED_MS,
  };
}

/** A plugin call that outlived its budget: reported as a transient failure, its late result ignored. */
export class CallTimeoutError extends TransientProvisioningError {}

/**
 * Passed to the work of a call: `expired` turns true when the call's budget is spent, and
 * `check()` then throws, so that a call that goes on in the background (the plugin's own
 * timeouts end it later) cannot claim, look up or write through Ferry any more.
 */
export class CallFence {
  expired = false;

  check(): void {
    if (this.expired) throw new CallTimeoutError('the call was abandoned: its time limit had passed');
  }
}

const STATE_VALUE: Record<CircuitState, number> = { [CircuitState.CLOSED]: 0, [CircuitState.HALF_OPEN]: 1, [CircuitState.OPEN]: 2 };

/**
 * Keeps one slow or dead target from holding up the others: every plugin call gets a time budget,
 * and each target has a circuit breaker (see TargetCircuit). The state lives in this process only:
 * every Ferry process (server, workers) learns on its own that a target is down.
 */
export class TargetHealth {
  private readonly circuits = new Map<string, TargetCircuit>();
  /** The calls in flight, per target (this process): call number -> start time. */
  private readonly inFlight = new Map<string, Map<number, number>>();
  private calls = 0;

  /** Told of each call refused because the circuit was open (the metrics count them). */
  onShortCircuit: (targetId: string, count: number) => void = () => undefined;

  constructor(
    readonly settings: TargetHealthSettings = DEFAULT_TARGET_HEALTH_SETTINGS,
    private readonly now: () => number = Date.now,
  ) {}

  /** Each called target's circuit state in this process: 0 closed, 1 half-open, 2 open. */
  *circuitStates(): Iterable<{ targetId: string; state: number }> {
    for (const [targetId, circuit] of this.circuits) yield { targetId, state: STATE_VALUE[circuit.snapshot().state] };
  }

  /** The budget of one call: 3 x the target's `timeoutMs` when it has one, at most FERRY_TARGET_CALL_TIMEOUT_MS. */
  budgetMs(config: unknown): number {
    const own = (config as { timeoutMs?: unknown } | null)?.timeoutMs;
    if (typeof own === 'number' && own > 0) return Math.min(own * BUDGET_PER_OPERATION_TIMEOUT, this.settings.callTimeoutMs);
    return this.settings.callTimeoutMs;
  }

  /**
   * Runs one plugin call on the target through its circuit and within its budget. Throws a
   * CircuitOpenError without calling `work` while the circuit is open, a CallTimeoutError when
   * the budget runs out (the call's late result or failure is then ignored), or the call's error.
   */
  async call<T>(targetId: string, config: unknown, work: (fence: CallFence) => Promise<T>): Promise<T> {
    const circuit = this.circuit(targetId);
    let ticket;
    try {
      ticket = circuit.admit();
    } catch (error) {
      this.onShortCircuit(targetId, 1);
      throw error;
    }
    const calls = this.inFlight.get(targetId) ?? new Map<number, number>();
    this.inFlight.set(targetId, calls);
    const mark = (this.calls += 1);
    calls.set(mark, this.now());
    try {
      const result = await withinBudget(this.budgetMs(config), work);
      circuit.succeeded(ticket);
      return result;
    } catch (error) {
      if ((error as { transient?: unknown }).transient === true) circuit.failed(ticket, error instanceof Error ? error.message : String(error));
      else circuit.neutral(ticket);
      throw error;
    } finally {
      calls.delete(mark);
    }
  }

  /**
   * Whether the target is stalled as far as this process knows: a call to it has been running for
   * FERRY_TARGET_STALLED_MS or more (a hung host, a half-open circuit's trial call waiting for its
   * time limit). A mutation's response does not wait for a stalled target (it reports PENDING at
   * once). An open circuit is not stalled: its calls fail at once.
   */
  stalled(targetId: string): boolean {
    const calls = this.inFlight.get(targetId);
    if (!calls || calls.size === 0) return false;
    const oldest = Math.min(...calls.values());
    return this.now() - oldest >= this.settings.stalledMs;
  }

  /** While the target's circuit refuses calls: the error a call gets without being made; else null. */
  refuse(targetId: string): Error | null {
    return this.circuits.get(targetId)?.refusing() ?? null;
  }

  /** Calls failed with `refuse`'s error without being made. */
  countShortCircuited(targetId: string, count: number): void {
    if (count > 0) this.onShortCircuit(targetId, count);
  }

  health(targetId: string): CircuitSnapshot {
    return this.circuits.get(targetId)?.snapshot() ?? new TargetCircuit(this.settings, this.now).snapshot();
  }

  reset(targetId: string): void {
    this.circuits.get(targetId)?.reset();
  }

  /** A deleted target's circuit. */
  forget(targetId: string): void {
    this.circuits.delete(targetId);
  }

  private circuit(targetId: string): TargetCircuit {
    let circuit = this.circuits.get(targetId);
    if (!circuit) {
      circuit = new TargetCircuit(this.settings, this.now);
      this.circuits.set(targetId, circuit);
    }
    return circuit;
  }
}

/** `work`'s result, or a CallTimeoutError once `budgetMs` has passed (the fence is then expired). */
export async function withinBudget<T>(budgetMs: number, work: (fence: CallFence) => Promise<T>): Promise<T> {
  const fence = new CallFence();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      fence.expired = true;
      reject(new CallTimeoutError(`no result within ${budgetMs} ms (the call's time limit); the call was abandoned`));
    }, budgetMs);
  });
  const call = (async () => work(fence))();
  // A call abandoned at its deadline may still fail later: nobody is waiting for it any more.
  call.catch(() => undefined);
  try {
    return await Promise.race([call, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** The context a call gets: its lookups of stored identifiers stop working once its time limit has passed. */
export function fenced<T>(context: TargetContext<T>, fence: CallFence): TargetContext<T> {
  const lookups = context.remoteIds;
  return {
    ...context,
    remoteIds: {
      get: async (subjectType, subjectId) => (fence.check(), lookups.get(subjectType, subjectId)),
      getMany: async (subjectType, subjectIds) => (fence.check(), lookups.getMany(subjectType, subjectIds)),
      holderOfKey: async (subjectType, remoteKey) => (fence.check(), lookups.holderOfKey(subjectType, remoteKey)),
    },
    writtenMembers: context.writtenMembers && {
      of: async (groupId) => (fence.check(), context.writtenMembers!.of(groupId)),
    },
  };
}
