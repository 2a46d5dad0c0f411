#pragma once
// The Search tab's history: one record per finished generation of a LongRoPE search, and its
// CSV form (File > Export of the Search tab).

#include <QString>
#include <vector>

namespace rope {

struct SearchGeneration {
  QString stage;  // core's stage name: "long", "stage2", "short"
  int x = 0;      // the position on the plots' generation axis (stages one after another)
  int generation = 0;
  double best = 0, mean = 0;
  std::vector<double> population;   // fitness, sorted
  std::vector<double> bestFactors;  // the stage's candidate: multipliers in stage two,
                                    // short factors in the short stage
  int bestNHat = 0;
  std::vector<double> shownFactors;  // as the heatmap draws them: whole long factors in
                                     // stage two, the short factors in the short stage
};

// "stage,generation,best,mean,n_hat,best_factors" and one line per generation (the factors
// space-separated).
QString searchHistoryCsv(const std::vector<SearchGeneration>& generations);

}  // namespace rope
