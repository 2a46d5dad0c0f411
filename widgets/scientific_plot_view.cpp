// ScientificPlot's view behaviour: hover (tooltip, crosshair and readout), reset, linked axes,
// equal aspect, the hint of an empty plot and the caption.
#include <qcustomplot.h>

#include <QLabel>
#include <QToolTip>
#include <cmath>

#include "scientific_plot.h"
#include "scientific_plot_internal.h"

namespace rope {
namespace {

QString number(double v) { return QString::number(v, 'g', 5); }

QCPColorMap* heatmapOf(QCustomPlot* plot) {
  for (int i = 0; i < plot->plottableCount(); ++i) {
    if (auto* map = qobject_cast<QCPColorMap*>(plot->plottable(i))) return map;
  }
  return nullptr;
}

}  // namespace

bool ScientificPlot::eventFilter(QObject* watched, QEvent* event) {
  if (watched == m_plot && event->type() == QEvent::Leave) hideCrosshair();
  return QWidget::eventFilter(watched, event);
}

void ScientificPlot::onMouseMove(QMouseEvent* event) {
  emit mouseMoved(event->position(), event->buttons());
  if (event->buttons() != Qt::NoButton) {
    hideCrosshair();
    return;
  }
  updateCrosshair(event->position());
  const QString text = tooltipAt(event->position());
  if (text.isEmpty()) {
    QToolTip::hideText();
    return;
  }
  QToolTip::showText(m_plot->mapToGlobal(event->position().toPoint()), text, m_plot);
}

QString ScientificPlot::axisValueText(Qt::Orientation axis, double value) const {
  const QCPAxis* a = axis == Qt::Horizontal ? m_plot->xAxis : m_plot->yAxis;
  // Category axes (text ticks) name the category nearest to the value.
  if (const auto text = a->ticker().dynamicCast<QCPAxisTickerText>();
      text && !text->ticks().isEmpty()) {
    const auto& ticks = text->ticks();
    auto best = ticks.constBegin();
    for (auto it = ticks.constBegin(); it != ticks.constEnd(); ++it) {
      if (std::abs(it.key() - value) < std::abs(best.key() - value)) best = it;
    }
    return best.value();
  }
  return number(value);
}

void ScientificPlot::updateCrosshair(const QPointF& pixel) {
  if (!m_crosshair || isEmpty() || !m_plot->axisRect()->rect().contains(pixel.toPoint())) {
    hideCrosshair();
    return;
  }
  if (!m_crossX) {
    const QPen pen(QColor(60, 60, 60, 140), 1, Qt::DotLine);
    m_crossX = new QCPItemStraightLine(m_plot);
    m_crossY = new QCPItemStraightLine(m_plot);
    m_readout = new QCPItemText(m_plot);
    for (QCPAbstractItem* item :
         std::initializer_list<QCPAbstractItem*>{m_crossX, m_crossY, m_readout}) {
      item->setLayer("overlay");
      item->setSelectable(false);
    }
    m_crossX->setPen(pen);
    m_crossY->setPen(pen);
    m_readout->position->setType(QCPItemPosition::ptAxisRectRatio);
    m_readout->position->setCoords(1, 0);
    m_readout->setPositionAlignment(Qt::AlignRight | Qt::AlignTop);
    m_readout->setBrush(QColor(255, 255, 255, 225));
    m_readout->setPadding(QMargins(4, 2, 4, 2));
    m_readout->setFont(QFont(font().family(), 8));
  }
  const QPointF c = pixelToCoord(pixel);
  m_crossX->point1->setCoords(c.x(), 0);
  m_crossX->point2->setCoords(c.x(), 1);
  m_crossY->point1->setCoords(0, c.y());
  m_crossY->point2->setCoords(1, c.y());
  QString text = QString("x %1   y %2")
                     .arg(axisValueText(Qt::Horizontal, c.x()), axisValueText(Qt::Vertical, c.y()));
  if (QCPColorMap* map = heatmapOf(m_plot)) {
    int ix = -1, iy = -1;
    map->data()->coordToCell(c.x(), c.y(), &ix, &iy);
    if (ix >= 0 && iy >= 0 && ix < map->data()->keySize() && iy < map->data()->valueSize()) {
      const double v = map->data()->cell(ix, iy);
      text += "   value " + (std::isnan(v) ? QString("masked") : number(v));
    }
  }
  m_readoutText = text;
  m_readout->setText(text);
  for (QCPAbstractItem* item :
       std::initializer_list<QCPAbstractItem*>{m_crossX, m_crossY, m_readout}) {
    item->setVisible(true);
  }
  // The crosshair points are in plot coordinates on x/y and plot-area ratios on the other.
  m_crossX->point1->setTypeY(QCPItemPosition::ptAxisRectRatio);
  m_crossX->point2->setTypeY(QCPItemPosition::ptAxisRectRatio);
  m_crossY->point1->setTypeX(QCPItemPosition::ptAxisRectRatio);
  m_crossY->point2->setTypeX(QCPItemPosition::ptAxisRectRatio);
  m_plot->layer("overlay")->replot();
}

void ScientificPlot::hideCrosshair() {
  m_readoutText.clear();
  if (!m_crossX || !m_crossX->visible()) return;
  m_crossX->setVisible(false);
  m_crossY->setVisible(false);
  m_readout->setVisible(false);
  m_plot->layer("overlay")->replot();
}

void ScientificPlot::setCrosshairEnabled(bool enabled) {
  m_crosshair = enabled;
  if (!enabled) hideCrosshair();
}

QString ScientificPlot::readoutText() const { return m_readoutText; }

void ScientificPlot::rememberHome() {
  m_homeX = xRange();
  m_homeY = yRange();
  m_hasHome = true;
}

void ScientificPlot::resetView() {
  if (!m_hasHome) {
    rescaleAxes();
    return;
  }
  m_plot->xAxis->setRange(m_homeX.first, m_homeX.second);
  m_plot->yAxis->setRange(m_homeY.first, m_homeY.second);
  scheduleReplot();
}

void ScientificPlot::linkAxes(ScientificPlot* other, Qt::Orientations axes) {
  if (!other || other == this) return;
  auto link = [](ScientificPlot* from, ScientificPlot* to, QCPAxis* a, QCPAxis* b) {
    // setRange does nothing (and emits nothing) when the range is already equal.
    connect(a, qOverload<const QCPRange&>(&QCPAxis::rangeChanged), to, [to, b](const QCPRange& r) {
      b->setRange(r);
      to->scheduleReplot();
    });
    Q_UNUSED(from);
  };
  if (axes & Qt::Horizontal) {
    link(this, other, m_plot->xAxis, other->m_plot->xAxis);
    link(other, this, other->m_plot->xAxis, m_plot->xAxis);
  }
  if (axes & Qt::Vertical) {
    link(this, other, m_plot->yAxis, other->m_plot->yAxis);
    link(other, this, other->m_plot->yAxis, m_plot->yAxis);
  }
}

void ScientificPlot::setEqualAspect(bool equal) {
  m_equalAspect = equal;
  if (!equal) m_plot->axisRect()->setMinimumMargins(QMargins(0, 0, 0, 0));
  scheduleReplot();
}

double ScientificPlot::plotAreaAspect() const {
  const QRect r = m_plot->axisRect()->rect();
  return r.height() > 0 ? double(r.width()) / r.height() : 0;
}

void ScientificPlot::fitAspect() {
  QCPAxisRect* rect = m_plot->axisRect();
  rect->setMinimumMargins(QMargins(0, 0, 0, 0));
  // A layout pass with the margins the ticks need, then the surplus goes to the margins.
  QCPLayout* layout = m_plot->plotLayout();
  layout->setOuterRect(m_plot->viewport());
  for (auto phase :
       {QCPLayoutElement::upPreparation, QCPLayoutElement::upMargins, QCPLayoutElement::upLayout}) {
    layout->update(phase);
  }
  const QRect inner = rect->rect();
  const auto [x0, x1] = xRange();
  const auto [y0, y1] = yRange();
  if (inner.width() <= 0 || inner.height() <= 0 || !(x1 > x0) || !(y1 > y0)) return;
  const double ratio = std::clamp((x1 - x0) / (y1 - y0), 0.25, 4.0);
  QMargins m = rect->margins();
  if (inner.width() > inner.height() * ratio) {
    const int extra = inner.width() - static_cast<int>(std::lround(inner.height() * ratio));
    m.setLeft(m.left() + extra / 2);
    m.setRight(m.right() + extra - extra / 2);
  } else {
    const int extra = inner.height() - static_cast<int>(std::lround(inner.width() / ratio));
    m.setTop(m.top() + extra / 2);
    m.setBottom(m.bottom() + extra - extra / 2);
  }
  rect->setMinimumMargins(m);
}

bool ScientificPlot::isEmpty() const {
  if (heatmapOf(m_plot)) return false;
  for (int i = 0; i < m_plot->graphCount(); ++i) {
    if (!m_plot->graph(i)->name().isEmpty() && !m_plot->graph(i)->data()->isEmpty()) return false;
  }
  return true;
}

void ScientificPlot::updateEmptyState() {
  const bool empty = isEmpty();
  m_showsHint = empty && !m_emptyHint.isEmpty();
  if (m_showsHint && !m_hint) {
    m_hint = new QCPItemText(m_plot);
    m_hint->position->setType(QCPItemPosition::ptAxisRectRatio);
    m_hint->position->setCoords(0.5, 0.5);
    m_hint->setPositionAlignment(Qt::AlignCenter);
    m_hint->setColor(QColor(90, 90, 90));
    m_hint->setFont(QFont(font().family(), 10));
  }
  if (m_hint) {
    m_hint->setText(m_emptyHint);
    m_hint->setVisible(m_showsHint);
  }
  for (QCPAxis* axis : {m_plot->xAxis, m_plot->yAxis}) axis->setVisible(!m_showsHint);
  // A legend without entries would cap the plot's width in QCustomPlot's layout: it is in the
  // layout (the row below the plot area) only while shown.
  QCPLegend* legend = m_plot->legend;
  const bool show = m_legendWanted && !empty && legend->itemCount() > 0;
  QCPLayoutGrid* grid = m_plot->plotLayout();
  if (show && !legend->layout()) {
    int row = 0;
    while (row < grid->rowCount() && grid->element(row, 0) != m_plot->axisRect()) ++row;
    grid->insertRow(row + 1);
    grid->addElement(row + 1, 0, legend);
    grid->setRowStretchFactor(row + 1, 0.001);
  } else if (!show && legend->layout()) {
    grid->take(legend);
    grid->simplify();
  }
  legend->setVisible(show);
}

void ScientificPlot::setEmptyHint(const QString& hint) {
  m_emptyHint = hint;
  scheduleReplot();
}

bool ScientificPlot::showsEmptyHint() const { return m_showsHint; }

void ScientificPlot::setCaption(const QString& text, const QString& anchor) {
  m_caption->setProperty("plainCaption", text);
  m_caption->setProperty("anchor", anchor);
  QString html = "<small>" + text.toHtmlEscaped();
  if (!anchor.isEmpty()) html += QString(" <a href=\"#%1\">(formulas)</a>").arg(anchor);
  m_caption->setText(html + "</small>");
  m_caption->setTextFormat(Qt::RichText);
  m_caption->setVisible(!text.isEmpty());
}

QString ScientificPlot::caption() const { return m_caption->property("plainCaption").toString(); }

QString ScientificPlot::captionAnchor() const { return m_caption->property("anchor").toString(); }

}  // namespace rope
