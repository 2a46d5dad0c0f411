#pragma once
// RoPE frequencies, rescale factors, cos/sin tables and spectrum analysis, computed in
// double precision with Hugging Face transformers' semantics. Pure functions; thread-safe.
//
// Notation (docs/formulas.md): d = rotary dim, pairs i = 0 .. d/2-1,
// f_i = base^(-2i/d) (rad/token), lambda_i = f_i / inv_freq_i.

#include <vector>

#include "rope/rope_params.h"

namespace rope {

struct RopeFrequencies {
  std::vector<double> invFreq;      // rad/token per pair, d/2 values
  std::vector<double> factors;      // lambda_i = f_i / invFreq_i
  double attentionFactor = 1.0;     // multiplies both cos and sin
  bool longFactorsUsed = false;     // LongRoPE: which factor set the switch rule chose
};

// int(headDim * partialRotaryFactor); throws InputError unless it is even and >= 2.
int rotaryDim(const RopeParams& params);
// The original window L: original_max_position_embeddings, else max_position_embeddings.
int originalWindow(const RopeParams& params);

// The unscaled frequencies f_i = base^(-2i/d).
std::vector<double> baseInvFreq(double base, int rotaryDim);

// Throws InputError naming the first parameter that is out of range (non-finite, wrong
// length, non-positive, ...).
void validateParams(const RopeParams& params);

// Frequencies and attention factor of a method. seqLen is the length of the current forward
// pass (max position + 1); it matters for dynamic NTK and LongRoPE's SequenceLength switch.
// 0 means "not known" (dynamic NTK then uses maxPosition, LongRoPE its short factors).
// layer selects per-layer LongRoPE factors when the params carry them (-1: none).
RopeFrequencies computeFrequencies(const RopeParams& params, int seqLen = 0, int layer = -1);

// The attention factor alone (same rules as computeFrequencies).
double attentionFactor(const RopeParams& params, int seqLen = 0);
// LongRoPE's attention factor (Phi-3 "longrope"/"su", as transformers derives it) at scale
// s = M / L over an original window L >= 2: sqrt(1 + ln s / ln L); 1 for s <= 1.
double longRopeAttention(double scale, int window);

enum class PairLayout {
  RotateHalf,   // HF / NeoX: dim j pairs with j + d/2; table = cat(freqs, freqs)
  Interleaved,  // Meta / GPT-J / llama.cpp NORM: pairs (2i, 2i+1)
};

// cos/sin of the rotation angles for positions [start, start+count), row-major
// [count x rotaryDim], already multiplied by the attention factor. Positions below the
// params' nHat use the original frequencies and no attention factor (LongRoPE paper).
struct CosSinTable {
  int start = 0;
  int count = 0;
  int rotaryDim = 0;
  std::vector<double> cos;
  std::vector<double> sin;
  double cosAt(int row, int col) const { return cos[static_cast<size_t>(row) * rotaryDim + col]; }
  double sinAt(int row, int col) const { return sin[static_cast<size_t>(row) * rotaryDim + col]; }
};

// seqLen 0 means start + count.
CosSinTable cosSinTable(const RopeParams& params, int start, int count,
                        PairLayout layout = PairLayout::RotateHalf, int seqLen = 0,
                        int layer = -1);
// Same from precomputed frequencies (the engine swaps factor sets this way).
CosSinTable cosSinTable(const RopeFrequencies& scaled, double base, int nHat, int start,
                        int count, PairLayout layout = PairLayout::RotateHalf);

struct PairSpectrum {
  int pair = 0;
  double frequency = 0;            // f_i, rad/token
  double wavelength = 0;           // 2 pi / f_i, tokens
  double rotationsInWindow = 0;    // window * f_i / (2 pi)
  double factor = 1;               // lambda_i
  double effectiveWavelength = 0;  // 2 pi / inv_freq_i, tokens
};

struct Spectrum {
  int window = 0;
  // Real-valued position of the boundary: pairs i > criticalPosition have a wavelength longer
  // than the window, i.e. never complete a rotation in training. (d/2) log_base(window / 2 pi).
  double criticalPosition = 0;
  // First pair whose wavelength exceeds the window (d/2 if none); LongRoPE2's critical
  // dimension is 2 * criticalPair.
  int criticalPair = 0;
  std::vector<PairSpectrum> pairs;
};

// Spectrum of a scaled RoPE against a training window.
Spectrum analyzeSpectrum(double base, const RopeFrequencies& scaled, int window);
int criticalPair(double base, int rotaryDim, int window);

}  // namespace rope
