/**
 * A queue of received byte chunks. Bytes are never concatenated eagerly: `take(n)` returns a view of
 * the first chunk when the n bytes lie in it, and copies only when they span chunks (the minimum
 * needed to hand out one contiguous body).
 *
 * Chunks pushed here are owned by the queue: the caller must not modify them afterwards. The queue
 * knows nothing of envelopes or segments: the decoders decide how many bytes to take.
 *
 * @internal
 */

/**
 * A FIFO of received byte chunks: `take` hands out a view when the bytes lie in one chunk, a copy
 * when they span several.
 *
 * @since 0.1.0
 */
export class ChunkQueue {
  private chunks: Array<Uint8Array> = []
  private head = 0
  /** Offset of the first unread byte in `chunks[head]`. */
  private offset = 0
  /** Unread bytes in total. */
  length = 0

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return
    // a plain Uint8Array view of a Node Buffer: downstream `slice` must copy, and bodies should not be Buffers
    if (chunk.constructor !== Uint8Array) chunk = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength)
    this.chunks.push(chunk)
    this.length += chunk.length
  }

  clear(): void {
    this.chunks = []
    this.head = 0
    this.offset = 0
    this.length = 0
  }

  /** The byte at `i` (relative to the first unread byte); `i < length`. */
  byteAt(i: number): number {
    let c = this.chunks[this.head]!
    let at = this.offset + i
    let k = this.head
    while (at >= c.length) {
      at -= c.length
      c = this.chunks[++k]!
    }
    return c[at]!
  }

  /**
   * Where `n` contiguous bytes at the front can be read without a copy: returns the first chunk and
   * sets `peekOffset`, or `undefined` when they span chunks.
   */
  peekOffset = 0
  contiguous(n: number): Uint8Array | undefined {
    const c = this.chunks[this.head]
    if (c === undefined || c.length - this.offset < n) return undefined
    this.peekOffset = this.offset
    return c
  }

  /** Copies the first `n` bytes into `out` without consuming them. */
  peekInto(out: Uint8Array, n: number): void {
    let k = this.head
    let off = this.offset
    let written = 0
    while (written < n) {
      const c = this.chunks[k]!
      const m = Math.min(c.length - off, n - written)
      out.set(c.subarray(off, off + m), written)
      written += m
      k++
      off = 0
    }
  }

  /** Consumes `n` bytes (`n <= length`) and returns them contiguous (a view when possible). */
  take(n: number): Uint8Array {
    if (n === 0) return EMPTY
    const first = this.chunks[this.head]!
    const avail = first.length - this.offset
    if (avail >= n) {
      const out = first.subarray(this.offset, this.offset + n)
      this.advance(n, avail)
      return out
    }
    const out = new Uint8Array(n)
    let written = 0
    while (written < n) {
      const c = this.chunks[this.head]!
      const left = c.length - this.offset
      const m = Math.min(left, n - written)
      out.set(c.subarray(this.offset, this.offset + m), written)
      written += m
      this.advance(m, left)
    }
    return out
  }

  /** Consumes `n` bytes (`n <= length`). */
  skip(n: number): void {
    while (n > 0) {
      const c = this.chunks[this.head]!
      const left = c.length - this.offset
      const m = Math.min(left, n)
      this.advance(m, left)
      n -= m
    }
  }

  private advance(m: number, left: number): void {
    this.length -= m
    if (m < left) {
      this.offset += m
      return
    }
    // chunk exhausted: drop our reference so it can be collected
    ;(this.chunks as Array<Uint8Array | undefined>)[this.head] = undefined
    this.head++
    this.offset = 0
    if (this.head === this.chunks.length) {
      this.chunks.length = 0
      this.head = 0
    } else if (this.head >= 1024 && this.head * 2 >= this.chunks.length) {
      this.chunks = this.chunks.slice(this.head)
      this.head = 0
    }
  }
}

const EMPTY = new Uint8Array(0)
