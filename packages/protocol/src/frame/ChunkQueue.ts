/**
 * A queue of received byte chunks. Bytes are never concatenated eagerly: `take(n)` returns a view of
 * the first chunk when the n bytes lie in it, and copies only when they span chunks (the minimum
 * needed to hand out one contiguous body).
 *
 * Chunks pushed here are owned by the queue: the caller must not modify them afterwards. A chunk pushed
 * as `disposable` (the whole of an ArrayBuffer nobody else uses, as a socket read is) is listed once
 * every byte of it was taken, with the buffers the decoder `retire`s; `release()` then detaches them
 * all, which frees their memory at once instead of at the next garbage collection. The queue knows
 * nothing of envelopes or segments: the decoders decide how many bytes to take, and when nothing holds a
 * view of what was taken any more.
 *
 * @internal
 */
import { plainView } from "../Buffers.ts"

/**
 * A FIFO of received byte chunks: `take` hands out a view when the bytes lie in one chunk, a copy
 * when they span several.
 *
 * @since 0.1.0
 */
export class ChunkQueue {
  private chunks: Array<Uint8Array> = []
  /** Whether `chunks[i]` is disposable (listed for `release()` once read); parallel to `chunks`. */
  private disposable: Array<boolean> = []
  private head = 0
  /** Offset of the first unread byte in `chunks[head]`. */
  private offset = 0
  /** Unread bytes in total. */
  length = 0
  /** Whether the last `take` returned a copy (the bytes spanned chunks) rather than a view of a chunk. */
  copied = false
  /** Buffers to detach at the next `release()`. */
  private spent: Array<Uint8Array> = []

  push(chunk: Uint8Array, disposable = false): void {
    if (chunk.length === 0) return
    // a plain Uint8Array view of a Node Buffer: downstream `slice` must copy, and bodies should not be Buffers
    chunk = plainView(chunk)
    this.chunks.push(chunk)
    this.disposable.push(disposable && isWholeBuffer(chunk))
    this.length += chunk.length
  }

  clear(): void {
    this.chunks = []
    this.disposable = []
    this.spent = []
    this.head = 0
    this.offset = 0
    this.length = 0
  }

  /** Buffers waiting for `release()`. */
  get spentCount(): number {
    return this.spent.length
  }

  /** Leaves the buffers waiting for `release()` to the garbage collector. */
  forgetSpent(): void {
    this.spent.length = 0
  }

  /** Lists a buffer the caller is done with once `release()` is called (a copy `take` made, say). */
  retire(b: Uint8Array): void {
    if (isWholeBuffer(b)) this.spent.push(b)
  }

  /**
   * Detaches every disposable chunk read to its end and every retired buffer since the last call. Call it
   * only when nothing holds a view of the bytes taken from them (their views become empty).
   */
  release(): void {
    const spent = this.spent
    if (spent.length === 0) return
    for (let i = 0; i < spent.length; i++) detach(spent[i]!)
    spent.length = 0
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
    if (n === 0) {
      this.copied = false
      return EMPTY
    }
    const first = this.chunks[this.head]!
    const avail = first.length - this.offset
    if (avail >= n) {
      const out = first.subarray(this.offset, this.offset + n)
      this.advance(n, avail)
      this.copied = false
      return out
    }
    this.copied = true
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
    // chunk exhausted: drop our reference so it can be collected (or freed at `release()`)
    if (this.disposable[this.head] === true) this.spent.push(this.chunks[this.head]!)
    ;(this.chunks as Array<Uint8Array | undefined>)[this.head] = undefined
    this.head++
    this.offset = 0
    if (this.head === this.chunks.length) {
      this.chunks.length = 0
      this.disposable.length = 0
      this.head = 0
    } else if (this.head >= 1024 && this.head * 2 >= this.chunks.length) {
      this.chunks = this.chunks.slice(this.head)
      this.disposable = this.disposable.slice(this.head)
      this.head = 0
    }
  }
}

const EMPTY = new Uint8Array(0)

/**
 * Below this a buffer is left to the garbage collector: V8 keeps typed arrays of up to 64 bytes on its
 * heap, and detaching costs an allocation, worth it for the socket reads and page copies (kilobytes to
 * megabytes) that otherwise pile up between two scavenges, not for a few bytes.
 */
const RELEASE_MIN_BYTES = 4096

/** Whether `b` spans the whole of a plain (non-shared) ArrayBuffer worth detaching. */
const isWholeBuffer = (b: Uint8Array): boolean =>
  b.byteLength >= RELEASE_MIN_BYTES && b.byteOffset === 0 && b.buffer.byteLength === b.byteLength &&
  !(typeof SharedArrayBuffer !== "undefined" && b.buffer instanceof SharedArrayBuffer)

/** ES2024's ArrayBuffer members (the packages' lib is ES2023; runtimes without them free nothing early). */
interface DetachableBuffer {
  readonly detached?: boolean
  readonly transfer?: (newLength: number) => ArrayBuffer
}

/** Frees an ArrayBuffer's memory now (`transfer(0)` detaches it); a buffer that cannot be detached is left as it is. */
const detach = (b: Uint8Array): void => {
  const buffer = b.buffer as DetachableBuffer
  if (buffer.detached !== false || buffer.transfer === undefined) return
  try {
    buffer.transfer(0)
  } catch {
    // not detachable (an embedder's buffer): the garbage collector frees it
  }
}
