import { useCallback, useRef } from "preact/hooks";

/**
 * A load that many events may ask for at once: one runs at a time, and asks
 * made while it runs make one more run after it, so a burst of events costs
 * two requests, not one each.
 */
export function useCoalesced(load: () => Promise<void>): () => void {
  const latest = useRef(load);
  latest.current = load;
  const state = useRef({ running: false, again: false });
  return useCallback(() => {
    const s = state.current;
    if (s.running) {
      s.again = true;
      return;
    }
    s.running = true;
    void (async () => {
      do {
        s.again = false;
        await latest.current().catch(() => {});
      } while (s.again);
      s.running = false;
    })();
  }, []);
}
