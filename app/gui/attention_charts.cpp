#include "attention_charts.h"

#include <QComboBox>
#include <QLabel>
#include <QSplitter>
#include <QVBoxLayout>
#include <algorithm>
#include <cmath>

#include "scientific_plot.h"

namespace rope {
namespace {

const QColor kSetColors[] = {QColor(31, 119, 180), QColor(214, 39, 40), QColor(44, 160, 44),
                             QColor(148, 103, 189), QColor(255, 127, 14), QColor(140, 86, 75)};

QColor setColor(int i) { return kSetColors[i % 6]; }

std::vector<std::pair<double, QColor>> sequentialStops() {  // viridis-like
  return {{0.0, QColor(68, 1, 84)},    {0.25, QColor(59, 82, 139)}, {0.5, QColor(33, 145, 140)},
          {0.75, QColor(94, 201, 98)}, {1.0, QColor(253, 231, 37)}};
}

std::vector<std::pair<double, QColor>> divergingStops() {
  return {{0.0, QColor(33, 102, 172)}, {0.5, QColor(247, 247, 247)}, {1.0, QColor(178, 24, 43)}};
}

QWidget* withPlots(std::initializer_list<ScientificPlot*> plots, Qt::Orientation o) {
  auto* split = new QSplitter(o);
  for (ScientificPlot* p : plots) {
    split->addWidget(p);
    split->setStretchFactor(split->count() - 1, 1);  // equal widths
  }
  return split;
}

// Cells whose keys all come after their queries: causal attention never looks there.
const QColor kMaskedColor(200, 200, 200);

bool maskedCell(const attention::AttentionGrid& g, int row, int col) {
  return g.keyOf(col) > g.queryEndOf(row) - 1;
}

// A grid as heatmap cells: x = key cells, y = query cells; masked cells hold NaN.
HeatmapData gridData(const attention::AttentionGrid& g, const std::vector<float>& values) {
  HeatmapData d;
  d.nx = g.cols;
  d.ny = g.rows;
  const double kw = double(g.region.keyEnd - g.region.keyBegin) / g.cols;
  const double qw = double(g.region.queryEnd - g.region.queryBegin) / g.rows;
  d.xMin = g.region.keyBegin + kw / 2 - 0.5;
  d.xMax = g.region.keyEnd - kw / 2 - 0.5;
  d.yMin = g.region.queryBegin + qw / 2 - 0.5;
  d.yMax = g.region.queryEnd - qw / 2 - 0.5;
  if (d.nx == 1) d.xMax = d.xMin + 1;
  if (d.ny == 1) d.yMax = d.yMin + 1;
  d.values.resize(static_cast<size_t>(d.nx) * d.ny);
  for (int r = 0; r < g.rows; ++r) {
    for (int c = 0; c < g.cols; ++c) {
      d.values[size_t(c) * d.ny + r] =
          maskedCell(g, r, c) ? std::nan("") : values[size_t(r) * g.cols + c];
    }
  }
  d.nanColor = kMaskedColor;
  return d;
}

QString probabilityLabel(attention::Pooling pooling) {
  return pooling == attention::Pooling::Max ? "attention probability (max per cell)"
                                            : "attention probability (mean per cell)";
}

QString rangeText(int64_t first, int64_t end, const QStringList& pieces) {
  if (end - first == 1) {
    const QString piece = first < pieces.size() ? pieces[int(first)] : QString();
    return QString("%1 '%2'").arg(first).arg(piece);
  }
  return QString("%1–%2").arg(first).arg(end - 1);
}

}  // namespace

AttentionCharts::AttentionCharts(QWidget* parent) : QTabWidget(parent) {
  for (auto*& p : m_maps) p = new ScientificPlot;
  for (auto*& p : m_entropyMaps) p = new ScientificPlot;
  m_entropyCurves = new ScientificPlot;
  m_distance = new ScientificPlot;
  m_pairs = new ScientificPlot;
  m_summary = new QLabel;
  m_summary->setTextInteractionFlags(Qt::TextSelectableByMouse);
  m_summary->setWordWrap(true);

  auto* mapPage = new QWidget;
  auto* mapLayout = new QVBoxLayout(mapPage);
  mapLayout->addWidget(withPlots({m_maps[0], m_maps[1], m_maps[2]}, Qt::Horizontal), 1);
  mapLayout->addWidget(m_summary);
  addTab(mapPage, "Attention map");
  m_measure = new QComboBox;
  m_measure->addItems({"mean attention entropy (nats)", "mean mass beyond the training window"});
  auto* overviewPage = new QWidget;
  auto* overviewLayout = new QVBoxLayout(overviewPage);
  overviewLayout->addWidget(m_measure, 0, Qt::AlignLeft);
  overviewLayout->addWidget(withPlots({m_entropyMaps[0], m_entropyMaps[1]}, Qt::Horizontal), 1);
  addTab(overviewPage, "Entropy by layer and head");
  connect(m_measure, &QComboBox::currentIndexChanged, this, [this] { showOverview(); });
  addTab(m_entropyCurves, "Entropy vs position");
  addTab(m_distance, "Attention vs distance");
  addTab(m_pairs, "Logit share per RoPE pair");

  for (int i = 0; i < 3; ++i) {
    m_maps[i]->setAxisLabels("key position", "query position");
    m_maps[i]->setLegendVisible(false);
    m_maps[i]->setEqualAspect(true);  // square cells: one token is as wide as it is tall
    if (i > 0) m_maps[i]->linkAxes(m_maps[0], Qt::Horizontal | Qt::Vertical);
    m_maps[i]->setTooltipFormatter(
        [this, i](const PlotPoint& p) { return p.curve < 0 ? cellTooltip(i, p.index) : QString(); });
  }
  m_entropyMaps[1]->linkAxes(m_entropyMaps[0], Qt::Horizontal | Qt::Vertical);
  for (int i = 0; i < 2; ++i) {
    m_entropyMaps[i]->setAxisLabels("head", "layer");
    m_entropyMaps[i]->setLegendVisible(false);
    m_entropyMaps[i]->setTooltipFormatter([this](const PlotPoint& p) {
      return QString("layer %1, head %2: %3 %4")
          .arg(std::lround(p.y)).arg(std::lround(p.x)).arg(m_measure->currentText())
          .arg(p.value, 0, 'g', 4);
    });
  }
  m_entropyCurves->setAxisLabels("query position", "attention entropy (nats)");
  m_distance->setAxisLabels("distance query − key (tokens)", "mean attention probability");
  m_distance->setXScale(AxisScale::Log);
  m_distance->setYScale(AxisScale::Log);
  m_pairs->setAxisLabels("RoPE pair i (dims i and i + d/2; high frequency left)",
                         "share of |q·k| on attended keys");
  for (int i = 0; i < 3; ++i) {
    m_maps[i]->setCaption(i == 2 ? "Red: B attends more than A; blue: less."
                                 : "Each query (row) over the keys before it (columns); bright "
                                   "left columns are attention sinks; grey: masked.",
                          "views-attention");
  }
  for (ScientificPlot* p : m_entropyMaps) {
    p->setCaption(
        "High entropy: diffuse attention. Heads that turn diffuse beyond the window "
        "lose their focus there.",
        "views-attention");
  }
  m_entropyCurves->setCaption(
      "Entropy rising past the training window (dashed) means "
      "attention spreads thin at unseen positions.",
      "views-attention");
  m_distance->setCaption(
      "How attention decays with distance; a good scaling keeps the decay "
      "it had inside the window.",
      "views-attention");
  m_pairs->setCaption(
      "Which pairs carry the logits; the slow pairs (right) are the ones "
      "scaling changes most.",
      "pair-layout");
  m_maps[0]->setEmptyHint("Analyse to see the attention map of the chosen head");
  m_entropyMaps[0]->setEmptyHint("Analyse with \"Every layer and head\" to see this map");
  m_entropyCurves->setEmptyHint("Analyse to see the attention entropy per query position");
  m_distance->setEmptyHint("Analyse to see the attention by distance");
  m_pairs->setEmptyHint("Analyse to see each RoPE pair's share of the attention logits");
  m_maps[1]->setVisible(false);
  m_maps[2]->setVisible(false);
  m_entropyMaps[1]->setVisible(false);
}

QString AttentionCharts::cellTooltip(int which, int index) const {
  if (!m_views || m_views->head.empty()) return {};
  const attention::AttentionGrid& g = m_views->head.front().grid;
  if (g.rows == 0) return {};
  const int col = index / g.rows, row = index % g.rows;
  if (col >= g.cols || row >= g.rows) return {};
  if (maskedCell(g, row, col)) {
    return QString("query %1\nkey %2\nmasked: every key comes after the query")
        .arg(rangeText(g.queryOf(row), g.queryEndOf(row), m_views->pieces))
        .arg(rangeText(g.keyOf(col), g.keyEndOf(col), m_views->pieces));
  }
  const bool pooled = g.queryEndOf(row) - g.queryOf(row) > 1 || g.keyEndOf(col) - g.keyOf(col) > 1;
  auto value = [&](int set) {
    return double(m_views->head[set].grid.values[size_t(row) * g.cols + col]);
  };
  QString v;
  const QString what = pooled ? (g.pooling == attention::Pooling::Max ? "max p" : "mean p") : "p";
  if (which == 2 && m_views->request.compare && m_views->head.size() > 1) {
    v = QString("%1 B − A = %2").arg(what).arg(value(1) - value(0), 0, 'g', 4);
  } else {
    const int set = std::min<int>(which, int(m_views->head.size()) - 1);
    v = QString("%1 = %2").arg(what).arg(value(set), 0, 'g', 4);
  }
  return QString("query %1\nkey %2\n%3")
      .arg(rangeText(g.queryOf(row), g.queryEndOf(row), m_views->pieces))
      .arg(rangeText(g.keyOf(col), g.keyEndOf(col), m_views->pieces))
      .arg(v);
}

void AttentionCharts::showViews(std::shared_ptr<const AttentionViews> views) {
  m_views = std::move(views);
  if (!m_views || !m_views->valid) return;
  showMaps();
  showCurves();
  if (m_views->complete && !m_views->meanEntropy.empty()) {
    m_overview = m_views;
    showOverview();
  }
}

void AttentionCharts::setLogColours(bool log) {
  m_log = log;
  if (m_views && m_views->valid) showMaps();
}

void AttentionCharts::showMaps() {
  const AttentionViews& v = *m_views;
  const bool ab = v.request.compare && v.head.size() > 1;
  m_maps[1]->setVisible(ab);
  m_maps[2]->setVisible(ab);
  if (auto* split = qobject_cast<QSplitter*>(m_maps[0]->parentWidget())) {
    split->setSizes(QList<int>(3, 1000));  // equal widths for the maps shown
  }
  float top = 0;
  for (const auto& h : v.head) {
    for (float x : h.grid.values) top = std::max(top, x);
  }
  for (int i = 0; i < (ab ? 2 : 1); ++i) {
    const attention::HeadSummary& h = v.head[i];
    std::vector<float> values = h.grid.values;
    HeatmapData d = gridData(h.grid, values);
    d.gradientStops = sequentialStops();
    // One scale for A and B (the largest probability of both), so colours compare.
    d.zLabel = probabilityLabel(h.grid.pooling);
    if (m_log) {
      d.zScale = AxisScale::Log;
      for (double& x : d.values) {
        if (!std::isnan(x)) x = std::max(x, kLogFloor);
      }
      d.zMin = kLogFloor;
      d.zMax = std::max<double>(top, kLogFloor * 10);
    } else {
      d.zMin = 0;
      d.zMax = std::max<double>(top, 1e-12);
    }
    ScientificPlot* plot = m_maps[i];
    plot->clear();
    plot->setHeatmap(d);
    plot->setTitle(QString("%1: %2").arg(i == 0 ? "A" : "B", v.setNames.value(i)));
    plot->rescaleAxes();
  }
  if (ab) {
    const attention::AttentionGrid& a = v.head[0].grid;
    std::vector<float> diff(a.values.size());
    float mx = 0;
    for (size_t k = 0; k < diff.size(); ++k) {
      diff[k] = v.head[1].grid.values[k] - a.values[k];
      mx = std::max(mx, std::abs(diff[k]));
    }
    HeatmapData d = gridData(a, diff);
    d.gradientStops = divergingStops();
    d.zLabel = "probability B − A";
    d.zMin = -std::max<double>(mx, 1e-12);
    d.zMax = -d.zMin;
    m_maps[2]->clear();
    m_maps[2]->setHeatmap(d);
    m_maps[2]->setTitle("B − A");
    m_maps[2]->rescaleAxes();
  }
  m_summary->setText(summaryText());
}

QString AttentionCharts::summaryText() const {
  if (!m_views || !m_views->valid) return {};
  const AttentionViews& v = *m_views;
  QStringList lines;
  const attention::AttentionGrid& g = v.head.front().grid;
  lines << QString("Layer %1, head %2 · %3 tokens (from %4) · training window %5 · grid %6 x %7 "
                   "(%8 per cell) · %9 colours · %10 s")
               .arg(v.request.layer).arg(v.request.head).arg(v.ids.size()).arg(v.request.offset)
               .arg(v.trainingWindow).arg(g.rows).arg(g.cols)
               .arg(g.pooling == attention::Pooling::Max ? "max" : "mean")
               .arg(m_log ? "log" : "linear").arg(v.elapsedSeconds, 0, 'f', 2);
  for (size_t i = 0; i < std::min<size_t>(v.head.size(), v.request.compare ? 2 : 1); ++i) {
    const attention::HeadSummary& h = v.head[i];
    lines << QString("%1: mean entropy %2 nats · sink mass (first 4 tokens) %3 · mass beyond "
                     "the window %4")
                 .arg(v.setNames.value(int(i)))
                 .arg(h.meanEntropy, 0, 'f', 3)
                 .arg(h.meanSinkMass, 0, 'f', 3)
                 .arg(h.meanBeyondWindowMass, 0, 'f', 3);
  }
  return lines.join("\n");
}

void AttentionCharts::showCurves() {
  const AttentionViews& v = *m_views;
  m_entropyCurves->clear();
  m_distance->clear();
  m_pairs->clear();
  const int64_t T = static_cast<int64_t>(v.ids.size());
  const int bins = static_cast<int>(std::min<int64_t>(T, 256));
  for (size_t i = 0; i < v.head.size(); ++i) {
    const attention::HeadSummary& h = v.head[i];
    CurveStyle style;
    style.color = setColor(int(i));
    const std::vector<double> e = attention::binnedMeans(h.entropy, bins);
    QVector<double> x, y;
    for (int b = 0; b < int(e.size()); ++b) {
      // Positions as RoPE sees them: 0 is the first analysed token.
      x << (T * b / int64_t(e.size()) + T * (b + 1) / int64_t(e.size()) - 1) / 2.0;
      y << e[b];
    }
    m_entropyCurves->addCurve(v.setNames.value(int(i)), x, y, style);
    QVector<double> dx, dy;
    for (int64_t d = 1; d < T; d = std::max(d + 1, static_cast<int64_t>(d * 1.05))) {
      if (h.meanByDistance[d] > 0) {
        dx << double(d);
        dy << h.meanByDistance[d];
      }
    }
    m_distance->addCurve(v.setNames.value(int(i)), dx, dy, style);
    QVector<double> px, py;
    for (int p = 0; p < int(h.pairShare.size()); ++p) {
      px << p;
      py << h.pairShare[p];
    }
    style.pointSize = 5;
    m_pairs->addCurve(v.setNames.value(int(i)), px, py, style);
  }
  if (v.trainingWindow > 0) {
    m_entropyCurves->addVerticalLine(v.trainingWindow, "training window", Qt::darkGray);
    m_distance->addVerticalLine(v.trainingWindow, "training window", Qt::darkGray);
  }
  const QString head = QString("layer %1, head %2").arg(v.request.layer).arg(v.request.head);
  m_entropyCurves->setTitle("Attention entropy vs query position — " + head);
  m_distance->setTitle("Mean attention vs distance — " + head);
  m_pairs->setTitle("Logit share per RoPE pair — " + head +
                    " (attention-weighted |q_i·k_i| over the pair's two dims)");
  for (ScientificPlot* p : {m_entropyCurves, m_distance, m_pairs}) p->rescaleAxes();
}

void AttentionCharts::showOverview() {
  if (!m_overview) return;
  const AttentionViews& v = *m_overview;
  const bool beyond = m_measure->currentIndex() == 1;
  const std::vector<std::vector<double>>& data = beyond ? v.meanBeyondWindow : v.meanEntropy;
  const int n = std::min<int>(2, int(data.size()));
  m_entropyMaps[1]->setVisible(n > 1);
  double lo = 1e300, hi = -1e300;
  for (int i = 0; i < n; ++i) {
    for (double e : data[i]) {
      lo = std::min(lo, e);
      hi = std::max(hi, e);
    }
  }
  for (int i = 0; i < n; ++i) {
    HeatmapData d;
    d.nx = v.numHeads;
    d.ny = v.numLayers;
    d.xMin = 0;
    d.xMax = std::max(1, v.numHeads - 1);
    d.yMin = 0;
    d.yMax = std::max(1, v.numLayers - 1);
    d.values.resize(size_t(d.nx) * d.ny);
    for (int l = 0; l < v.numLayers; ++l) {
      for (int h = 0; h < v.numHeads; ++h) {
        d.values[size_t(h) * d.ny + l] = data[i][size_t(l) * v.numHeads + h];
      }
    }
    d.zMin = lo;  // one scale for A and B
    d.zMax = hi > lo ? hi : lo + 1;
    d.gradientStops = sequentialStops();
    d.zLabel = beyond ? "attention mass beyond the window (fraction)" : "mean entropy (nats)";
    m_entropyMaps[i]->clear();
    m_entropyMaps[i]->setHeatmap(d);
    const QString what = beyond ? QString("Mass beyond the %1-token window").arg(v.trainingWindow)
                                : QString("Mean attention entropy (nats)");
    m_entropyMaps[i]->setTitle(QString("%1, %2: %3 – %4")
                                   .arg(what, v.setNames.value(i))
                                   .arg(lo, 0, 'f', beyond ? 3 : 2)
                                   .arg(hi, 0, 'f', beyond ? 3 : 2));
    m_entropyMaps[i]->rescaleAxes();
  }
}

attention::Region AttentionCharts::visibleRegion() const {
  attention::Region r;
  if (!m_views || !m_views->valid) return r;
  const int64_t T = static_cast<int64_t>(m_views->ids.size());
  // Cell centres sit at integer positions: position p covers [p - 0.5, p + 0.5).
  auto clampRange = [T](std::pair<double, double> range, int64_t* begin, int64_t* end) {
    *begin = std::clamp<int64_t>(static_cast<int64_t>(std::floor(range.first + 0.5)), 0, T - 1);
    *end = std::clamp<int64_t>(static_cast<int64_t>(std::ceil(range.second + 0.5)), *begin + 1, T);
  };
  clampRange(m_maps[0]->xRange(), &r.keyBegin, &r.keyEnd);
  clampRange(m_maps[0]->yRange(), &r.queryBegin, &r.queryEnd);
  return r;
}

ScientificPlot* AttentionCharts::currentPlot() const {
  switch (currentIndex()) {
    case 0: return m_maps[0];
    case 1: return m_entropyMaps[0];
    case 2: return m_entropyCurves;
    case 3: return m_distance;
    default: return m_pairs;
  }
}

}  // namespace rope
