#pragma once
// OpenBLAS, which does LibTorch's matrix products on Debian, is one library for every x86-64
// CPU: when it starts it picks its kernels from a table of the CPU models it knows. On a CPU
// newer than that table it falls back to generic SSE3 kernels ("Prescott"): Debian 12's
// OpenBLAS 0.3.21 does so on a Xeon of family 6 model 207 (AVX-512), where its SkylakeX
// kernels train the demo model 2.5-3.1x faster (bench/RESULTS.md, "OpenBLAS's kernels on a
// CPU it does not know").
// OPENBLAS_CORETYPE chooses the kernels, but the library reads it once, as the process starts,
// before main; so the programs re-execute themselves with it set (reexecWithBetterBlas).

#include <string>

namespace rope {

// The kernels OpenBLAS runs in this process ("SkylakeX", "Haswell", "Prescott", ...); empty
// when OpenBLAS is not the BLAS loaded.
std::string blasCoreName();

// The OPENBLAS_CORETYPE this CPU should run with when OpenBLAS chose kernels older than AVX2 on
// a CPU that has it: "SkylakeX" with AVX-512 (F, BW, DQ, VL), else "Haswell"; empty when its
// choice uses the CPU's vector units already, or without OpenBLAS or x86-64.
std::string betterBlasCore();

// First thing in main: when betterBlasCore() names kernels and OPENBLAS_CORETYPE is not set
// (set, it is the user's choice, or this was done already), executes the program again
// (/proc/self/exe, the same arguments and environment plus OPENBLAS_CORETYPE). Returns only
// when there is nothing to do or the exec failed (the program then runs as it is).
// ROPE_KEEP_BLAS_CORE=1 leaves OpenBLAS's own choice (for side-by-side measurements). The
// second start loads LibTorch again: `rope-cli paths` took 1.4 s instead of 0.6 s on a loaded
// 2-core machine, small beside the minutes of work it speeds up 3x.
void reexecWithBetterBlas(char** argv);

}  // namespace rope
