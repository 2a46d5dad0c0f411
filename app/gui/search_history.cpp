#include "search_history.h"

#include <QStringList>

namespace rope {

QString searchHistoryCsv(const std::vector<SearchGeneration>& generations) {
  QString text = "stage,generation,best,mean,n_hat,best_factors\n";
  for (const SearchGeneration& g : generations) {
    QStringList factors;
    for (double v : g.bestFactors) factors << QString::number(v, 'g', 8);
    text += QString("%1,%2,%3,%4,%5,%6\n")
                .arg(g.stage)
                .arg(g.generation)
                .arg(g.best, 0, 'g', 10)
                .arg(g.mean, 0, 'g', 10)
                .arg(g.bestNHat)
                .arg(factors.join(' '));
  }
  return text;
}

}  // namespace rope
