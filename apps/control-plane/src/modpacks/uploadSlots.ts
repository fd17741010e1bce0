/**
 * How many uploads one process receives at once: each is held in memory
 * (up to ZLH_MODPACK_MAX_BYTES) while it is read and checked, so N at a
 * time bound that memory to N packs. A slot is taken before the body is
 * read and given back once when the answer is done or the connection
 * drops, however the request ends.
 */
export class UploadSlots {
  #taken = 0;

  constructor(readonly size: number) {}

  /** A slot's release (call once; later calls do nothing), or null when every slot is taken. */
  tryTake(): (() => void) | null {
    if (this.#taken >= this.size) return null;
    this.#taken++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#taken--;
    };
  }
}
