/**
 * What the pipeline tells the rest of the process, as typed in-process events: listeners
 * subscribe by name and get typed arguments. Nothing here crosses processes: other Ferry processes
 * learn the same from the database (work rows, the cursor) when they poll.
 */
export interface PipelineSignals {
  /** The dispatcher routed work to these targets (committed). */
  workRouted: { targetIds: string[] };
  /** A lane stored the outcomes of these work rows, caused by these change-log entries (committed; the rows are gone). */
  workSettled: { targetId: string; changeSeqs: string[]; workIds: string[] };
  /** A target's folder rules changed (its full recalculation schedules itself). */
  rulesChanged: { targetId: string; organizationId: string };
}

type Listener<T> = (payload: T) => void;

export class Signals<Events extends object = PipelineSignals> {
  private readonly listeners = new Map<keyof Events, Set<Listener<never>>>();

  on<K extends keyof Events>(name: K, listener: Listener<Events[K]>): () => void {
    let set = this.listeners.get(name);
    if (!set) this.listeners.set(name, (set = new Set()));
    set.add(listener as Listener<never>);
    return () => set!.delete(listener as Listener<never>);
  }

  /** Calls the listeners in order; one that throws does not stop the others. */
  emit<K extends keyof Events>(name: K, payload: Events[K], onError: (error: unknown) => void = () => undefined): void {
    for (const listener of this.listeners.get(name) ?? []) {
      try {
        (listener as Listener<Events[K]>)(payload);
      } catch (error) {
        onError(error);
      }
    }
  }
}
