import CKernels
import COutpostSystem
import OutpostCLICore
import OutpostRuntime

/// `outpost-dev bench-kernels [--json] [--peak-gflops X] [--quick]`: GFLOPS of the float32
/// kernels (SGEMM 256^3, MobileNet-style pointwise convolutions, a 3x3 convolution
/// via im2col, a depthwise 3x3) for every ISA path this CPU has, on 1 and 2 threads,
/// with the ratio to the FMA peak of that ISA measured here (24 zmm / 12 ymm independent
/// FMA chains; `--peak-gflops X` overrides it for every ISA, and ISAs without a peak
/// loop — scalar, NEON — use X, default 100); then the int8 kernels
/// (GEMM 256^3, the same layer shapes) per int8 ISA path, in GOPS (2*M*N*K/s), with the
/// ratio to the int8 peak measured on this machine (vpdpbusd / vpmaddwd loops).
let kernelBenchSpec = CommandSpec(
    name: "outpost-dev bench-kernels",
    usage: "outpost-dev bench-kernels [--json] [--peak-gflops X] [--quick]",
    summary: "Measure the float32 kernels (SGEMM 256^3, MobileNet-style pointwise convolutions, a 3x3 convolution via im2col, a depthwise 3x3) on every ISA path this CPU has, at 1 and 2 threads, with the ratio to the FMA peak; then the int8 GEMM/convolution kernels in GOPS with the ratio to the measured int8 peak.",
    options: [("--peak-gflops X", "FMA peak per core for the ratio (default: measured for AVX2 and AVX-512, 100 for the others).")],
    flags: [("--json", "Print one JSON object."), ("--quick", "Fewer repetitions.")])

func runKernelBench(_ args: [String]) -> Int {
    let a: ParsedArguments
    var peakPerCore: Double = 100
    do {
        a = try parseArguments(args, kernelBenchSpec)
        peakPerCore = try a.double("--peak-gflops", default: 100)
    } catch {
        Console.error("error: \(error.description)")
        return 2
    }
    if a.wantsHelp {
        Console.out(kernelBenchSpec.help)
        return 0
    }
    guard peakPerCore > 0 else {
        Console.error("error: --peak-gflops needs a positive number")
        return 2
    }
    let json = a.has("--json")
    let quick = a.has("--quick")

    let cases = benchCases()
    var isas: [ok_isa] = []
    for isa in [OK_ISA_SCALAR, OK_ISA_AVX2_FMA, OK_ISA_AVX512, OK_ISA_NEON] where ok_cpu_supported_isas() & (1 << isa.rawValue) != 0 {
        isas.append(isa)
    }
    // Per-ISA FMA peak of one core: measured (thread CPU time) unless given.
    var peakOf: [UInt32: Double] = [:]
    for isa in isas {
        let measured = a.value("--peak-gflops") == nil ? ok_fma_peak_gflops(Int32(isa.rawValue), quick ? 0.1 : 0.3) : 0
        peakOf[isa.rawValue] = measured > 0 ? measured : peakPerCore
    }
    let pool2 = ok_pool_create(2)
    defer {
        ok_pool_destroy(pool2)
        ok_cpu_restrict(0xffff_ffff)
    }
    var results: [BenchResult] = []
    if !json {
        var line = "FMA peak per core (GFLOPS):"
        for isa in isas { line += " " + String(cString: ok_isa_name(isa)) + " " + fixed(peakOf[isa.rawValue] ?? 0, 1) }
        print(line)
        print("kernel               shape                    isa        threads   GFLOPS   % of peak")
    }
    for c in cases {
        for isa in isas {
            // AVX-512 keeps AVX2 enabled, as on a real CPU (element-wise kernels).
            ok_cpu_restrict((1 << isa.rawValue) | 1 | (isa == OK_ISA_AVX512 ? 1 << OK_ISA_AVX2_FMA.rawValue : 0))
            for threads in [1, 2] {
                let pool: OpaquePointer? = threads == 1 ? nil : pool2
                let seconds = c.measure(pool, quick || isa == OK_ISA_SCALAR)
                let gflops = c.flops / seconds / 1e9
                let ratio = gflops / ((peakOf[isa.rawValue] ?? peakPerCore) * Double(threads))
                let r = BenchResult(name: c.name, kind: c.kind, m: c.m, n: c.n, k: c.k,
                                    isa: String(cString: ok_isa_name(isa)), threads: threads, gflops: gflops, ratio: ratio)
                results.append(r)
                if !json {
                    print(pad(c.kind, 20) + " " + pad(c.name, 24) + " " + pad(r.isa, 10) + " " + pad("\(threads)", 7) +
                          " " + pad(fixed(gflops, 1), 8, right: true) + " " + pad(fixed(ratio * 100, 1), 10, right: true))
                }
            }
        }
    }
    ok_cpu_restrict(0xffff_ffff)
    if !json {
        print("(conv3x3: direct convolution on avx512, im2col inside the GEMM on the other paths)")
    }
    let (qresults, qpeaks) = runInt8Bench(pool2, quick: quick, json: json)
    if json {
        var s = "{\"peak_gflops_per_core\":\(fixed(peakPerCore, 1)),\"fma_peak_gflops\":{"
        for (n, isa) in isas.enumerated() {
            if n > 0 { s += "," }
            s += "\"" + String(cString: ok_isa_name(isa)) + "\":" + fixed(peakOf[isa.rawValue] ?? 0, 1)
        }
        s += "},\"int8_peak_gops\":{"
        for (n, p) in qpeaks.enumerated() {
            if n > 0 { s += "," }
            s += "\"\(p.0)\":\(fixed(p.1, 1))"
        }
        s += "},\"qgemm\":["
        for (n, r) in qresults.enumerated() {
            if n > 0 { s += "," }
            s += "{\"name\":\"\(r.name)\",\"kind\":\"\(r.kind)\",\"m\":\(r.m),\"n\":\(r.n),\"k\":\(r.k),\"isa\":\"\(r.isa)\","
            s += "\"kernel\":\"\(r.kernel)\",\"threads\":\(r.threads),\"gops\":\(fixed(r.gflops, 2)),"
            s += "\"gops_cpu_time\":\(fixed(r.cpuGops, 2)),\"peak_ratio\":\(fixed(r.ratio, 3))}"
        }
        s += "],\"sgemm\":["
        for (n, r) in results.enumerated() {
            if n > 0 { s += "," }
            s += "{\"name\":\"\(r.name)\",\"kind\":\"\(r.kind)\",\"m\":\(r.m),\"n\":\(r.n),\"k\":\(r.k),\"isa\":\"\(r.isa)\","
            s += "\"threads\":\(r.threads),\"gflops\":\(fixed(r.gflops, 2)),\"peak_ratio\":\(fixed(r.ratio, 3))}"
        }
        s += "]}"
        print(s)
    }
    return 0
}

private struct BenchResult {
    var name: String
    var kind: String
    var m: Int, n: Int, k: Int
    var isa: String
    var threads: Int
    var gflops: Double
    var ratio: Double
    var kernel: String = ""
    var cpuGops: Double = 0
}

/// Int8 dispatch restricted to `isa` and the levels below it on its chain.
private func int8Mask(_ isa: ok_isa) -> UInt32 {
    var m: UInt32 = (1 << isa.rawValue) | 1
    if isa == OK_ISA_AVX512_VNNI { m |= (1 << OK_ISA_AVX512.rawValue) | (1 << OK_ISA_AVX2_FMA.rawValue) }
    if isa == OK_ISA_NEON_DOT || isa == OK_ISA_NEON_I8MM { m |= 1 << OK_ISA_NEON.rawValue }
    if isa == OK_ISA_NEON_I8MM { m |= 1 << OK_ISA_NEON_DOT.rawValue }
    return m
}

/// The int8 half of bench-kernels: peak loops, then every case on every int8 ISA path.
private func runInt8Bench(_ pool2: OpaquePointer?, quick: Bool, json: Bool) -> ([BenchResult], [(String, Double)]) {
    var isas: [ok_isa] = []
    for isa in [OK_ISA_SCALAR, OK_ISA_AVX2_FMA, OK_ISA_AVX512_VNNI, OK_ISA_NEON, OK_ISA_NEON_DOT, OK_ISA_NEON_I8MM]
    where ok_cpu_supported_isas() & (1 << isa.rawValue) != 0 {
        isas.append(isa)
    }
    var peaks: [(String, Double)] = []
    var peakOf: [UInt32: Double] = [:]
    for isa in isas {
        let g = ok_qgemm_peak_gops(Int32(isa.rawValue), quick ? 0.1 : 0.3)
        if g > 0 {
            peaks.append((String(cString: ok_isa_name(isa)), g))
            peakOf[isa.rawValue] = g
        }
    }
    if !json {
        print("")
        for p in peaks {
            let what = p.0 == "avx512-vnni" ? "vpdpbusd zmm" : "vpmaddwd ymm"
            print("int8 peak (\(what), 1 core): \(fixed(p.1, 1)) GOPS on \(p.0)")
        }
        print("int8 kernel          shape                    isa          threads   GOPS  GOPS cpu  % of peak  micro-kernel")
        print("(GOPS: wall time; GOPS cpu: thread CPU time, 1 thread; % of peak from the CPU-time figure)")
    }
    var results: [BenchResult] = []
    for c in int8Cases() {
        for isa in isas {
            ok_cpu_restrict(int8Mask(isa))
            for threads in [1, 2] {
                if isa == OK_ISA_SCALAR && threads == 2 { continue }
                let pool: OpaquePointer? = threads == 1 ? nil : pool2
                let seconds = c.measure(pool, quick || isa == OK_ISA_SCALAR)
                let gops = c.flops / seconds / 1e9
                let peak = peakOf[isa.rawValue] ?? 0
                // The peak is measured in thread CPU time; 1-thread cases too, so the ratio
                // holds on a shared machine (wall-time GOPS are printed next to it).
                let cpuGops = threads == 1 ? c.flops / c.measure(nil, quick || isa == OK_ISA_SCALAR, cpuTime: true) / 1e9 : gops
                let ratio = peak > 0 ? cpuGops / (peak * Double(threads)) : 0
                var r = BenchResult(name: c.name, kind: c.kind, m: c.m, n: c.n, k: c.k,
                                    isa: String(cString: ok_isa_name(isa)), threads: threads, gflops: gops, ratio: ratio,
                                    kernel: String(cString: ok_qgemm_kernel_name()))
                r.cpuGops = cpuGops
                results.append(r)
                if !json {
                    print(pad(c.kind, 20) + " " + pad(c.name, 24) + " " + pad(r.isa, 12) + " " + pad("\(threads)", 7) +
                          " " + pad(fixed(gops, 1), 7, right: true) + " " + pad(threads == 1 ? fixed(cpuGops, 1) : "-", 9, right: true) +
                          " " + pad(peak > 0 ? fixed(ratio * 100, 1) : "-", 10, right: true) + "  " + r.kernel)
                }
            }
        }
    }
    ok_cpu_restrict(0xffff_ffff)
    return (results, peaks)
}

private func int8Bytes(_ count: Int, seed: UInt32) -> UnsafeMutableRawPointer {
    let p = bytes(count)
    var s = seed
    for i in 0..<count {
        s = s &* 1664525 &+ 1013904223
        p.storeBytes(of: UInt8(truncatingIfNeeded: s >> 13), toByteOffset: i, as: UInt8.self)
    }
    return p
}

/// Int8 GEMM M x N x K, u8 activations x s8 weights, u8 output with per-row scales.
/// prepackB: both operands pre-packed (the micro-kernel rate); else A (weights) pre-packed
/// and B packed on every call, as in a convolution.
private func qgemmCase(_ m: Int, _ n: Int, _ k: Int, prepackB: Bool) -> BenchCase {
    let a = int8Bytes(m * k, seed: 1), b = int8Bytes(k * n, seed: 2), c = bytes(m * n)
    let scale = floats(m, seed: 3)
    for i in 0..<m { scale[i] = 0.0001 + abs(scale[i]) * 0.0001 }
    let pa = bytes(ok_qgemm_packed_a_size(Int32(m), Int32(k))), pb = bytes(ok_qgemm_packed_b_size(Int32(k), Int32(n)))
    let ws = bytes(ok_qgemm_workspace_size(Int32(m), Int32(n), Int32(k), 2))
    let za = op_aligned_alloc(64)!.assumingMemoryBound(to: Int32.self), zb = op_aligned_alloc(64)!.assumingMemoryBound(to: Int32.self)
    za[0] = 0; zb[0] = 7
    var packedFor: UnsafePointer<CChar>? = nil
    return BenchCase(name: "\(m)x\(n)x\(k)", kind: prepackB ? "qgemm (A,B packed)" : "qgemm (A packed)", m: m, n: n, k: k,
                     flops: 2 * Double(m * n * k)) { pool in
        let kname = ok_qgemm_kernel_name()
        if packedFor != kname {
            ok_qgemm_pack_a(Int32(m), Int32(k), a, Int32(OK_QTYPE_S8.rawValue), k, 1, za, 0, pa)
            ok_qgemm_pack_b(Int32(k), Int32(n), b, Int32(OK_QTYPE_U8.rawValue), n, 1, zb, 0, pb)
            packedFor = kname
        }
        var ep = ok_qepilogue(out: Int32(OK_QOUT_U8.rawValue), bias: nil, bias_per: 1, scale: scale, scale_per: 1,
                              fbias: nil, out_zero_point: 3, qmin: 0, qmax: 255)
        ok_qgemm(pool, Int32(m), Int32(n), Int32(k), nil, 0, 0, 0, nil, 0, pa,
                 b, Int32(OK_QTYPE_U8.rawValue), n, 1, zb, 0, prepackB ? pb : nil, c, n, &ep, ws)
    }
}

/// A 2-D convolution on [1, cin, h, w] with a square kernel and "same"-style pads
/// (kernel / 2 on every side): the float and int8 cases use the same geometry.
private func benchConvParams(cin: Int, cout: Int, h: Int, w: Int, kernel: Int, stride: Int, group: Int) -> ok_conv_params {
    var p = ok_conv_params()
    p.ndim = 2; p.batch = 1; p.cin = Int32(cin); p.cout = Int32(cout); p.group = Int32(group)
    let pad = kernel / 2
    let oh = (h + 2 * pad - kernel) / stride + 1, ow = (w + 2 * pad - kernel) / stride + 1
    p.in_shape = (Int32(h), Int32(w), 1); p.out_shape = (Int32(oh), Int32(ow), 1)
    p.kernel = (Int32(kernel), Int32(kernel), 1); p.stride = (Int32(stride), Int32(stride), 1); p.dilation = (1, 1, 1)
    p.pad_begin = (Int32(pad), Int32(pad), 0); p.pad_end = (Int32(pad), Int32(pad), 0)
    return p
}

/// An int8 2-D convolution on [1, cin, h, w] (u8 input, s8 weights, u8 output, Relu clamp).
private func qconvCase(kind: String, cin: Int, cout: Int, h: Int, w: Int, kernel: Int, stride: Int, group: Int) -> BenchCase {
    var p = benchConvParams(cin: cin, cout: cout, h: h, w: w, kernel: kernel, stride: stride, group: group)
    let oh = Int(p.out_shape.0), ow = Int(p.out_shape.1)
    let x = int8Bytes(cin * h * w, seed: 4), wt = int8Bytes(cout * (cin / group) * kernel * kernel, seed: 5)
    let y = bytes(cout * oh * ow)
    let scale = floats(cout, seed: 7)
    for i in 0..<cout { scale[i] = 0.0001 + abs(scale[i]) * 0.0001 }
    let packed = bytes(ok_qconv_packed_weights_size(&p))
    let ws = bytes(ok_qconv_workspace_size(&p, 2))
    let m = cout / group, k = (cin / group) * kernel * kernel, n = oh * ow
    var packedFor: UnsafePointer<CChar>? = nil
    let params = p
    return BenchCase(name: "\(cin)->\(cout) \(h)x\(w) k\(kernel)s\(stride)" + (group > 1 ? " g\(group)" : ""), kind: kind,
                     m: m, n: n, k: k, flops: 2 * Double(m * n * k * group)) { pool in
        var q = params
        let kname = ok_qgemm_kernel_name()
        if packedFor != kname {
            ok_qconv_pack_weights(&q, wt, Int32(OK_QTYPE_S8.rawValue), nil, 0, packed)
            packedFor = kname
        }
        var ep = ok_qepilogue(out: Int32(OK_QOUT_U8.rawValue), bias: nil, bias_per: 1, scale: scale, scale_per: 1,
                              fbias: nil, out_zero_point: 3, qmin: 3, qmax: 255)
        ok_qconv(pool, &q, x, Int32(OK_QTYPE_U8.rawValue), 5, packed, y, &ep, ws)
    }
}

private func int8Cases() -> [BenchCase] {
    [
        qgemmCase(256, 256, 256, prepackB: true),
        qgemmCase(256, 256, 256, prepackB: false),
        qconvCase(kind: "qconv1x1 (pointwise)", cin: 32, cout: 64, h: 112, w: 112, kernel: 1, stride: 1, group: 1),
        qconvCase(kind: "qconv1x1 (pointwise)", cin: 32, cout: 64, h: 56, w: 56, kernel: 1, stride: 1, group: 1),
        qconvCase(kind: "qconv1x1 (pointwise)", cin: 128, cout: 128, h: 28, w: 28, kernel: 1, stride: 1, group: 1),
        qconvCase(kind: "qconv1x1 (pointwise)", cin: 256, cout: 256, h: 14, w: 14, kernel: 1, stride: 1, group: 1),
        qconvCase(kind: "qconv1x1 (pointwise)", cin: 512, cout: 512, h: 14, w: 14, kernel: 1, stride: 1, group: 1),
        qconvCase(kind: "qconv1x1 (pointwise)", cin: 1024, cout: 1024, h: 7, w: 7, kernel: 1, stride: 1, group: 1),
        qconvCase(kind: "qconv3x3 (im2col)", cin: 32, cout: 64, h: 56, w: 56, kernel: 3, stride: 1, group: 1),
        qconvCase(kind: "qdepthwise3x3", cin: 64, cout: 64, h: 56, w: 56, kernel: 3, stride: 1, group: 64),
        qconvCase(kind: "qdepthwise3x3", cin: 64, cout: 64, h: 56, w: 56, kernel: 3, stride: 2, group: 64),
    ]
}

/// One benchmarked kernel call on fixed buffers (allocated once, freed never: the
/// process ends after the benchmark).
private final class BenchCase {
    let name: String
    let kind: String
    let m: Int, n: Int, k: Int
    let flops: Double
    let body: (OpaquePointer?) -> Void

    init(name: String, kind: String, m: Int, n: Int, k: Int, flops: Double, body: @escaping (OpaquePointer?) -> Void) {
        self.name = name
        self.kind = kind
        self.m = m
        self.n = n
        self.k = k
        self.flops = flops
        self.body = body
    }

    /// Best time of a few batches of calls, each batch at least ~50 ms (~10 ms quick).
    /// cpuTime: the calling thread's CPU time instead of wall time (1 thread only).
    func measure(_ pool: OpaquePointer?, _ quick: Bool, cpuTime: Bool = false) -> Double {
        body(pool)  // warm-up (packs, caches)
        let target: UInt64 = quick ? 10_000_000 : 50_000_000
        var best = Double.infinity
        let clock: () -> UInt64 = cpuTime ? { ok_thread_cpu_ns() } : { op_monotonic_ns() }
        for _ in 0..<(quick ? 2 : 4) {
            var reps = 0
            let t0 = clock()
            var t1 = t0
            while t1 - t0 < target || reps == 0 {
                body(pool)
                reps += 1
                t1 = clock()
            }
            let per = Double(t1 - t0) / 1e9 / Double(reps)
            if per < best { best = per }
        }
        return best
    }
}

private func floats(_ count: Int, seed: UInt32) -> UnsafeMutablePointer<Float> {
    let p = op_aligned_alloc(count * 4)!.assumingMemoryBound(to: Float.self)
    var s = seed
    for i in 0..<count {
        s = s &* 1664525 &+ 1013904223
        p[i] = Float((s >> 8) & 0xffff) / 32768 - 1
    }
    return p
}

private func bytes(_ count: Int) -> UnsafeMutableRawPointer { op_aligned_alloc(max(count, 64))! }

private func sgemmCase(_ m: Int, _ n: Int, _ k: Int) -> BenchCase {
    let a = floats(m * k, seed: 1), b = floats(k * n, seed: 2), c = floats(m * n, seed: 3)
    let ws = bytes(ok_sgemm_workspace_size(Int32(m), Int32(n), Int32(k), 2))
    return BenchCase(name: "\(m)x\(n)x\(k)", kind: "sgemm", m: m, n: n, k: k, flops: 2 * Double(m * n * k)) { pool in
        ok_sgemm(pool, Int32(m), Int32(n), Int32(k), 1, a, k, 1, nil, b, n, 1, nil, c, n, nil, ws)
    }
}

/// A 2-D convolution on [1, cin, h, w] (weights packed per ISA at first use).
private func convCase(kind: String, cin: Int, cout: Int, h: Int, w: Int, kernel: Int, stride: Int, group: Int) -> BenchCase {
    var p = benchConvParams(cin: cin, cout: cout, h: h, w: w, kernel: kernel, stride: stride, group: group)
    let oh = Int(p.out_shape.0), ow = Int(p.out_shape.1)
    let x = floats(cin * h * w, seed: 4), wt = floats(cout * (cin / group) * kernel * kernel, seed: 5)
    let y = floats(cout * oh * ow, seed: 6), bias = floats(cout, seed: 7)
    let packed = bytes(ok_conv_packed_weights_size(&p) + 4096)
    let ws = bytes(ok_conv_workspace_size(&p, 2))
    let m = cout / group, k = (cin / group) * kernel * kernel, n = oh * ow
    var packedISA: Int32 = -1
    let params = p
    return BenchCase(name: "\(cin)->\(cout) \(h)x\(w) k\(kernel)s\(stride)" + (group > 1 ? " g\(group)" : ""), kind: kind,
                     m: m, n: n, k: k, flops: 2 * Double(m * n * k * group)) { pool in
        var q = params
        // Re-pack when the dispatch changed (the packed layout follows the ISA).
        let isa: Int32 = ok_isa_enabled(OK_ISA_AVX512) != 0 ? 5
            : (ok_isa_enabled(OK_ISA_AVX2_FMA) != 0 ? 1 : (ok_isa_enabled(OK_ISA_NEON) != 0 ? 2 : 0))
        if isa != packedISA {
            ok_conv_pack_weights(&q, wt, packed)
            packedISA = isa
        }
        var ep = ok_epilogue(bias: bias, bias_kind: 1, activation: 1, p0: 0, p1: 0, accumulate: 0)
        ok_conv(pool, &q, x, packed, y, &ep, ws)
    }
}

private func benchCases() -> [BenchCase] {
    [
        sgemmCase(256, 256, 256),
        convCase(kind: "conv1x1 (pointwise)", cin: 32, cout: 64, h: 56, w: 56, kernel: 1, stride: 1, group: 1),
        convCase(kind: "conv1x1 (pointwise)", cin: 128, cout: 128, h: 28, w: 28, kernel: 1, stride: 1, group: 1),
        convCase(kind: "conv1x1 (pointwise)", cin: 256, cout: 256, h: 14, w: 14, kernel: 1, stride: 1, group: 1),
        convCase(kind: "conv3x3", cin: 32, cout: 64, h: 56, w: 56, kernel: 3, stride: 1, group: 1),
        convCase(kind: "depthwise3x3", cin: 64, cout: 64, h: 56, w: 56, kernel: 3, stride: 1, group: 64),
        convCase(kind: "depthwise3x3", cin: 64, cout: 64, h: 56, w: 56, kernel: 3, stride: 2, group: 64),
    ]
}

// Small formatting helpers (Embedded Swift: no String(format:)).

private func fixed(_ v: Double, _ digits: Int) -> String {
    if !(v == v) || v == Double.infinity { return "0" }
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let negative = v < 0
    let scaled = Int((negative ? -v : v) * scale + 0.5)
    let intPart = scaled / Int(scale), frac = scaled % Int(scale)
    var f = "\(frac)"
    while f.count < digits { f = "0" + f }
    return (negative ? "-" : "") + "\(intPart)" + (digits > 0 ? "." + f : "")
}

private func pad(_ s: String, _ width: Int, right: Bool = false) -> String {
    var out = s
    var n = s.count
    while n < width {
        out = right ? " " + out : out + " "
        n += 1
    }
    return out
}

private func parsePositiveDecimal(_ s: String) -> Double? {
    var value = 0.0, scale = 0.0, digits = 0
    for u in s.utf8 {
        if u == UInt8(ascii: ".") {
            if scale != 0 { return nil }
            scale = 1
        } else if u >= 48 && u <= 57 {
            value = value * 10 + Double(u - 48)
            if scale != 0 { scale *= 10 }
            digits += 1
        } else {
            return nil
        }
    }
    if digits == 0 { return nil }
    if scale > 1 { value /= scale }
    return value > 0 ? value : nil
}

private func printError(_ s: String) {
    let line = s + "\n"
    var copy = line
    copy.withUTF8 { op_write_fd(2, $0.baseAddress, $0.count) }
}
