/**
 * Murmur3 tokens and routing keys. Expected tokens come from a real Cassandra 5.0.9 node, from
 * protocol-notes.md and from the DataStax Python driver 3.30.1 (`cassandra.murmur3.murmur3`, its C extension, with `Murmur3Token.hash_fn`'s MIN -> MAX rule
 * and Cassandra's empty key -> MIN), computed offline; the property test compares with the DataStax Node.js
 * driver's tokenizer (another independent implementation), which is a dev dependency of the workspace.
 */
import { describe, expect, it } from "@effect/vitest"
import { ByteWriter } from "@effect-cassandra/protocol/Buffers"
import { parseCqlType } from "@effect-cassandra/protocol/CqlType"
import { encodeValue, serializeValue } from "@effect-cassandra/protocol/CqlValues"
import { byteOrderedToken, md5Digest, murmur3Token, randomToken, routingKey } from "@effect-cassandra/protocol/Token"
import * as Result from "effect/Result"
import fc from "fast-check"
import { createHash } from "node:crypto"
import { createRequire } from "node:module"

const unhex = (s: string) => new Uint8Array(Buffer.from(s.replace(/\s+/g, ""), "hex"))

/** [key bytes (hex), token]: Python driver, random keys of lengths 1..33 and tails with bytes >= 0x80. */
const PYTHON_VECTORS: ReadonlyArray<readonly [string, string]> = [
  ["a5", "9102176746827431674"],
  ["4dca", "7937931544219438322"],
  ["182530", "6068479167813565288"],
  ["bb1d6d13", "-4469617531165980528"],
  ["2cded6237b", "-5181672435055343724"],
  ["2ed91e3f721f", "4534573008782432204"],
  ["cb1971174494d6", "-6108198017939165541"],
  ["493c9d5c3460be31", "369911734640614424"],
  ["201e69fedaa0eee8b9", "-2074272014092295086"],
  ["997f5c7c2999fdafe593", "-32003801386848725"],
  ["253cd654af4dfad71427a0", "-710262683116833875"],
  ["aeb3fee9232f8af2211f9ee4", "-7166419386614295414"],
  ["91c5b10becb5563bfc1e6f9342", "2344439780066371560"],
  ["7ecbc8fe2955e5cd8e46dc8ed4b7", "-3889258449416575448"],
  ["c2764d2a5a4d767706f85d8690024a", "6346434833608210718"],
  ["d6bda3401be9c8cbccc935f6cd1f6122", "2496137534570887662"],
  ["6ae15338ae1a34004d33ba0d246ac04c81", "-5163860770097987848"],
  ["b1baf23e3bf9eef5f79f2b4934af87f5520b", "-1739369041822248009"],
  ["69b94b0d982e85bb55b672a872637acd7466fc", "-3944668422202499633"],
  ["b60e0e8ff18463b0e4b2ba29703474f064ac68f7", "-7786467646688507977"],
  ["00f5b02b3dc666f45bdeaa2ccaedcd2b5157410e4d", "1951256186105160739"],
  ["ee4af2b34f430a073447de636c0e806c957ba684d643", "3507963295454856628"],
  ["1fb5ead7424d09e15d024c5848f23d1fa6f7361d7f618d", "-8588892845546608172"],
  ["1532e70e20e2a6668de7f47e8467e546d53ec8e2a1257bdb", "6707213903693155933"],
  ["256c9b3e4fbb498146ef7030cbf9537252dcceadd764b6a32f", "-8424332517172412811"],
  ["bb09adeae109c4a997203975352b878b145c8a42d884cf4cfda7", "709345390310507954"],
  ["2d8e1d5dd92589082d852a7122873ee805add58942167a38528619", "1395167599800584676"],
  ["5c679f9c6994e45b8ab1098012070961f37de436ddfdc99d6e75af65", "-5042908090517330491"],
  ["47cfb11b42072482dc531c2bc3907c9617eb5e5089e40186baa8a57d11", "939714455876839797"],
  ["9e6fb65d00abc32af38e667f022e872d49cc15c90b999b772b4fc7a6fd4c", "5489273470328774013"],
  ["914a16db4708752b0f1544b835c0e719097dfa8701e9232f21f28126877869", "-1599464230021034359"],
  ["76ebfcc327f5931765274ba9829b4406f61ff889326ffa9492edeeee3c669f2b", "3298334995322450226"],
  ["f20894ea27e689c66b6b262e4886b8438f39ba76fef8c90c5101fbe6cf9a48d5b0", "61584507335068422"],
  ["80", "-5284281814142962636"],
  ["ff", "-4442228696663692417"],
  ["808080808080808080808080808080", "-5979218241483680930"],
  ["ffffffffffffffffffffffffffffffffff", "-4128212798341382003"],
  ["68656c6c6f", "-3758069500696749310"],
  ["43617373616e647261", "-8102916151384655401"],
  ["d0bad0bbd18ed187", "1182936647932017555"],
  ["0000002a", "-7160136740246525330"],
  ["ffffffffffffffff", "7071048584287372947"],
  ["000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff", "7627370222079200297"]
]

/**
 * [type, value, token] read from a real Cassandra 5.0.9 node (Murmur3Partitioner) with `SELECT k, token(k)`
 * (read-only queries on system_schema.keyspaces, <ks>.paged / examples.numbers, system_traces.sessions and
 * system.compaction_history of the shared test node, through the DataStax Python driver).
 */
const NODE_VECTORS: ReadonlyArray<readonly [string, string | number, string]> = [
  ["text", "it_v5_none", "-9105004951632051335"],
  ["text", "it_v3_none", "-7742001950790139051"],
  ["text", "quickstart", "-6980609244340954877"],
  ["text", "system_auth", "-5882736283116946676"],
  ["text", "it_v5_lz4", "-5632936048915659896"],
  ["text", "system_schema", "-4911109968640856406"],
  ["text", "meta_it", "-3863397049159181840"],
  ["text", "it_v4_snappy", "-3632934048194156669"],
  ["text", "examples", "1188449520288904514"],
  ["text", "system_distributed", "1877167950303559708"],
  ["text", "system", "2008276574632865675"],
  ["text", "it_v4_lz4", "3608634539626602095"],
  ["text", "system_traces", "5501786289152180687"],
  ["int", 5, "-7509452495886106294"],
  ["int", 1, "-4069959284402364209"],
  ["int", 8, "-3799847372828181882"],
  ["int", 0, "-3485513579396041028"],
  ["int", 2, "-3248873570005575792"],
  ["int", 4, "-2729420104000364805"],
  ["int", 7, "1634052884888577606"],
  ["int", 6, "2705480034054113608"],
  ["int", 9, "3728482343045213994"],
  ["int", 3, "9010454139840013625"],
  ["uuid", "ebb45930-e8d1-11f1-9c62-f39e0fbd792f", "-8847852194058321309"],
  ["uuid", "e8190a00-e8d1-11f1-9c62-f39e0fbd792f", "-8464367174319997898"],
  ["uuid", "d6772f20-e8d1-11f1-9c62-f39e0fbd792f", "-7947688185164714509"],
  ["uuid", "beb5cb30-e8d1-11f1-9c62-f39e0fbd792f", "-7651642156432408910"],
  ["uuid", "f01d7fb0-e8d1-11f1-9c62-f39e0fbd792f", "-7520920687008863338"],
  ["uuid", "c0f92b80-e8d1-11f1-9c62-f39e0fbd792f", "-6723887895203674158"],
  ["uuid", "d120c270-e8d1-11f1-9c62-f39e0fbd792f", "-5849842540219290916"],
  ["uuid", "164aa450-e8d3-11f1-9c62-f39e0fbd792f", "-5819513374854667364"],
  ["uuid", "dd2c8f90-e8d1-11f1-9c62-f39e0fbd792f", "-5625914065427239664"],
  ["uuid", "7ce90c20-e8d2-11f1-9c62-f39e0fbd792f", "-5427712651176063335"],
  ["timeuuid", "803e2a9a-e8d2-11f1-9c62-f39e0fbd792f", "-9167537208306251303"],
  ["timeuuid", "f1c933e0-e8d1-11f1-9c62-f39e0fbd792f", "-9155797267051442734"],
  ["timeuuid", "ec341080-e8d1-11f1-9c62-f39e0fbd792f", "-9042298377332936162"],
  ["timeuuid", "7f51cec0-e8d2-11f1-9c62-f39e0fbd792f", "-9033526001550386530"],
  ["timeuuid", "da0251b0-e8d1-11f1-9c62-f39e0fbd792f", "-9027648666992369767"],
  ["timeuuid", "dd897ca0-e8d1-11f1-9c62-f39e0fbd792f", "-9026368295807098770"],
  ["timeuuid", "13d97d40-e8d3-11f1-9c62-f39e0fbd792f", "-9024552743874727455"],
  ["timeuuid", "814d50a0-e8d2-11f1-9c62-f39e0fbd792f", "-8988095106917160146"],
  ["timeuuid", "81791b9a-e8d2-11f1-9c62-f39e0fbd792f", "-8982187604018210527"],
  ["timeuuid", "16f2a42a-e8d3-11f1-9c62-f39e0fbd792f", "-8977888876176515889"]
]

describe("murmur3Token", () => {
  it("protocol-notes.md vectors", () => {
    expect(murmur3Token(unhex("00000001"))).toBe(-4069959284402364209n)
    expect(murmur3Token(unhex("ff".repeat(16)))).toBe(-2824192546314762522n)
    expect(murmur3Token(unhex("00017f7f"))).toBe(6573459401642635627n)
  })

  it("empty key is Long.MIN_VALUE", () => {
    expect(murmur3Token(new Uint8Array(0))).toBe(-(2n ** 63n))
  })

  it("Python driver vectors (sign-extended tail bytes, every tail length)", () => {
    for (const [key, token] of PYTHON_VECTORS) expect([key, murmur3Token(unhex(key))]).toEqual([key, BigInt(token)])
  })

  it("equals SELECT token(...) of a real Cassandra 5.0.9 node for text, int, uuid and timeuuid keys", () => {
    for (const [type, value, token] of NODE_VECTORS) {
      const key = Result.getOrThrow(serializeValue(parseCqlType(type), value))
      expect([type, value, murmur3Token(key)]).toEqual([type, value, BigInt(token)])
    }
  })

  it("agrees with the DataStax Node.js driver's tokenizer on random keys", () => {
    const require = createRequire(import.meta.url)
    const { Murmur3Tokenizer } = require("cassandra-driver/lib/tokenizer.js") as {
      Murmur3Tokenizer: new() => { hash(b: Buffer): { getValue(): { toString(): string } } }
    }
    const tokenizer = new Murmur3Tokenizer()
    const MIN = -(2n ** 63n), MAX = 2n ** 63n - 1n
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 80 }), (key) => {
        const theirs = BigInt(tokenizer.hash(Buffer.from(key)).getValue().toString())
        expect(murmur3Token(key)).toBe(theirs === MIN ? MAX : theirs)
      }),
      { seed: 20240601, numRuns: 5000 }
    )
  })

  it("tokens of serialized values (a text and an int key)", () => {
    const text = Result.getOrThrow(serializeValue(parseCqlType("text"), "hello"))
    expect(murmur3Token(text)).toBe(BigInt(PYTHON_VECTORS.find(([k]) => k === "68656c6c6f")![1]))
    const int = Result.getOrThrow(serializeValue(parseCqlType("int"), 42))
    expect(murmur3Token(int)).toBe(BigInt(PYTHON_VECTORS.find(([k]) => k === "0000002a")![1]))
  })
})

describe("routingKey", () => {
  it("one component is its bytes", () => {
    const k = unhex("00000001")
    expect(routingKey([k])).toBe(k)
    expect(routingKey([])).toEqual(new Uint8Array(0))
  })

  it("several components: u16 length + bytes + 0x00 each (Python driver token)", () => {
    const w = new ByteWriter()
    encodeValue(w, parseCqlType("int"), 1)
    const one = w.toBytes(4)
    const a = Result.getOrThrow(serializeValue(parseCqlType("text"), "a"))
    const key = routingKey([one, a])
    expect(Buffer.from(key).toString("hex")).toBe("0004000000010000016100")
    expect(murmur3Token(key)).toBe(6516349416904725244n)
    expect(Buffer.from(routingKey([new Uint8Array(0), unhex("ff")])).toString("hex")).toBe("0000000001ff00")
  })
})

/**
 * [key bytes (hex), RandomPartitioner token]: Python's hashlib, `abs(int.from_bytes(md5(key), "big", signed=True))`,
 * computed offline (every padding case: 55, 56, 63, 64 and 65 bytes; a digest with the top bit set and one without).
 */
const RANDOM_VECTORS: ReadonlyArray<readonly [string, string]> = [
  ["00000001", "19580090105725936846312850328329299579"],
  ["0000002a", "120848004881451414043265846020249486727"],
  ["68656c6c6f", "123957004363873451094272536567338222994"],
  ["43617373616e647261", "164807544103845310913485141063148626478"],
  ["ff".repeat(16), "152228818290330508685649801133208955966"],
  ["00".repeat(55), "71891506258530855300878824051842231822"],
  ["00".repeat(56), "37525436614107041858526966273129088893"],
  ["00".repeat(63), "135325853883006925050521169042337447780"],
  ["00".repeat(64), "78908562217306417627256977220593135192"],
  ["61".repeat(65), "75414778103516677040151090012549249995"],
  ["80", "152560766125070040330893099817609554657"],
  ["d0bad0bbd18ed187", "80555982881223675056315091450378302745"]
]

/** Cassandra's formula with node:crypto's MD5: the signed big-endian 128-bit value of the digest, absolute. */
const randomByFormula = (key: Uint8Array): bigint => {
  const d = createHash("md5").update(key).digest()
  const unsigned = BigInt("0x" + d.toString("hex"))
  const signed = d[0]! >= 0x80 ? unsigned - 2n ** 128n : unsigned
  return signed < 0n ? -signed : signed
}

describe("randomToken (RandomPartitioner)", () => {
  it("Python hashlib vectors, every MD5 padding case", () => {
    for (const [key, token] of RANDOM_VECTORS) expect([key, randomToken(unhex(key))]).toEqual([key, BigInt(token)])
  })

  it("an empty key is the minimum token, -1 (as Cassandra's RandomPartitioner.getToken)", () => {
    expect(randomToken(new Uint8Array(0))).toBe(-1n)
  })

  it("md5Digest equals node:crypto's MD5 on random inputs of 0..300 bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 300 }), (bytes) => {
        expect(Buffer.from(md5Digest(bytes)).toString("hex")).toBe(createHash("md5").update(bytes).digest("hex"))
      }),
      { seed: 20261202, numRuns: 3000 }
    )
  })

  it("equals Cassandra's formula and the DataStax Node.js driver's RandomTokenizer on random keys", () => {
    const require = createRequire(import.meta.url)
    const { RandomTokenizer } = require("cassandra-driver/lib/tokenizer.js") as {
      RandomTokenizer: new() => { hash(b: Buffer): { getValue(): { toString(): string } } }
    }
    const tokenizer = new RandomTokenizer()
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 200 }), (key) => {
        const ours = randomToken(key)
        expect(ours).toBe(randomByFormula(key))
        expect(ours).toBe(BigInt(tokenizer.hash(Buffer.from(key)).getValue().toString()))
        expect(ours >= 0n && ours <= 2n ** 127n).toBe(true)
      }),
      { seed: 20261203, numRuns: 3000 }
    )
  })
})

describe("byteOrderedToken (ByteOrderedPartitioner)", () => {
  // Cassandra's BytesToken compares unsigned bytes, then lengths: 0x61 < 0x6100. (cassandra-driver strips
  // trailing zero bytes from its tokens, which Cassandra does not: no comparison with it here.)
  it("is the key bytes themselves", () => {
    const key = unhex("00ff10")
    expect(byteOrderedToken(key)).toBe(key)
    expect(byteOrderedToken(new Uint8Array(0)).length).toBe(0)
  })
})
