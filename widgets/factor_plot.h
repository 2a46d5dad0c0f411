#pragma once
// FactorPlot: the rescale factors lambda_i per RoPE pair of several factor sets on one plot
// (linear or log y). The editable curve (the active set) can be dragged point by point; with
// the monotone constraint on, neighbours give way (dragFactor), otherwise points that break
// it are marked. A finished drag emits factorsEdited once; the plot itself changes nothing
// until its owner sets new curves.

#include <QColor>
#include <QString>
#include <QVector>
#include <QWidget>
#include <vector>

namespace rope {

class ScientificPlot;

struct FactorCurve {
  QString name;
  QColor color;
  std::vector<double> values;
  bool editable = false;  // at most one curve: the active set
};

class FactorPlot : public QWidget {
  Q_OBJECT
 public:
  static constexpr double kGrabPixels = 10.0;

  explicit FactorPlot(QWidget* parent = nullptr);

  void setCurves(const std::vector<FactorCurve>& curves, const QString& yLabel);
  const std::vector<FactorCurve>& curves() const { return m_curves; }
  // Base and rotary dim let the tooltips show wavelengths; 0 leaves them out.
  void setSpectrumContext(double base, int rotaryDim);
  void setLogScale(bool log);
  bool logScale() const { return m_log; }
  void setEnforceMonotone(bool enforce);
  bool enforceMonotone() const { return m_enforce; }

  ScientificPlot* plot() const { return m_plot; }
  // Plot curve index of the editable set (-1 when none).
  int editableCurve() const { return m_editablePlotCurve; }

  // The drag the mouse performs (press on a point, move, release), callable directly.
  bool beginDrag(int pair);
  void dragTo(double value);
  void endDrag();
  bool isDragging() const { return m_dragPair >= 0; }

 signals:
  void factorsEdited(int pair, QVector<double> factors);

 private:
  void rebuild();
  void onPressed(QPointF pixel, Qt::MouseButton button);
  void onMoved(QPointF pixel, Qt::MouseButtons buttons);
  void onReleased(QPointF pixel, Qt::MouseButton button);
  QString tooltip(int plotCurve, int index, double y) const;
  int editableIndex() const;

  ScientificPlot* m_plot = nullptr;
  std::vector<FactorCurve> m_curves;
  std::vector<int> m_curveOfPlot;  // plot curve -> m_curves index (-1: markers)
  QString m_yLabel;
  QString m_structureKey;
  double m_base = 0;
  int m_rotaryDim = 0;
  bool m_log = false;
  bool m_enforce = true;
  int m_editablePlotCurve = -1;
  int m_dragPair = -1;
  std::vector<double> m_dragValues;
};

}  // namespace rope
