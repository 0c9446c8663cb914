package ai.gateway.local.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Function;

import org.HdrHistogram.Histogram;

/**
 * The report's chart, as plain SVG: latency against concurrency for direct, gateway and Portkey. Six
 * panels: columns are time to first token (streams), total time of a stream, total time of a
 * non-streamed call; rows are p50 and p99. The latency axis is logarithmic (the levels span 1–1,000 ms);
 * the concurrency axis has one evenly spaced tick per level.
 */
final class Chart {

  private record Series(String name, String color) {
  }

  private record Panel(String title, String mode, Function<Load.Result, Histogram> histogram, double percentile) {
  }

  private static final List<Series> SERIES = List.of(
      new Series("direct", "#555555"), new Series("gateway", "#1f77b4"), new Series("portkey", "#ff7f0e"));
  private static final int PANEL_W = 330;
  private static final int PANEL_H = 250;
  private static final int LEFT = 58;
  private static final int RIGHT = 16;
  private static final int TOP = 34;
  private static final int BOTTOM = 40;
  private static final int HEADER = 62;

  private Chart() {
  }

  static String svg(List<Load.Result> loads, List<Integer> levels, String subtitle) {
    List<Panel> panels = List.of(
        new Panel("first token p50 (streams)", "stream", Load.Result::firstToken, 50),
        new Panel("stream total p50", "stream", Load.Result::total, 50),
        new Panel("non-streamed total p50", "sync", Load.Result::total, 50),
        new Panel("first token p99 (streams)", "stream", Load.Result::firstToken, 99),
        new Panel("stream total p99", "stream", Load.Result::total, 99),
        new Panel("non-streamed total p99", "sync", Load.Result::total, 99));
    int width = 3 * PANEL_W;
    int height = HEADER + 2 * PANEL_H;
    StringBuilder svg = new StringBuilder();
    svg.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
        + "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"11\">%n", width, height, width, height));
    svg.append(String.format(Locale.ROOT, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>%n", width, height));
    svg.append("<text x=\"10\" y=\"18\" font-size=\"14\" font-weight=\"bold\">Latency (ms, log scale) against "
        + "concurrency: direct to the simulator, through the gateway, through Portkey</text>\n");
    svg.append("<text x=\"10\" y=\"34\" font-size=\"10\" fill=\"#444\">").append(escape(subtitle)).append("</text>\n");
    for (int i = 0; i < SERIES.size(); i++) {
      Series series = SERIES.get(i);
      int x = 10 + i * 90;
      svg.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"50\" x2=\"%d\" y2=\"50\" stroke=\"%s\" stroke-width=\"2.5\"/>"
          + "<text x=\"%d\" y=\"54\">%s</text>%n", x, x + 20, series.color(), x + 24, series.name()));
    }
    for (int p = 0; p < panels.size(); p++) {
      panel(svg, panels.get(p), loads, levels, (p % 3) * PANEL_W, HEADER + (p / 3) * PANEL_H);
    }
    svg.append("</svg>\n");
    return svg.toString();
  }

  private static void panel(StringBuilder svg, Panel panel, List<Load.Result> loads, List<Integer> levels, int x0, int y0) {
    int plotW = PANEL_W - LEFT - RIGHT;
    int plotH = PANEL_H - TOP - BOTTOM;
    int left = x0 + LEFT;
    int top = y0 + TOP;
    svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"12\" font-weight=\"bold\">%s</text>%n",
        left, y0 + 20, escape(panel.title())));
    // Values in ms per series and level; the axis spans whole decades around them.
    List<double[]> values = new ArrayList<>();
    double min = Double.MAX_VALUE;
    double max = 0;
    for (Series series : SERIES) {
      double[] row = new double[levels.size()];
      for (int i = 0; i < levels.size(); i++) {
        row[i] = value(loads, series.name() + "-" + panel.mode(), levels.get(i), panel).orElse(Double.NaN);
        if (!Double.isNaN(row[i]) && row[i] > 0) {
          min = Math.min(min, row[i]);
          max = Math.max(max, row[i]);
        }
      }
      values.add(row);
    }
    if (max == 0) {
      min = 1;
      max = 10;
    }
    double lo = Math.floor(Math.log10(min));
    double hi = Math.max(lo + 1, Math.ceil(Math.log10(max)));
    svg.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#999\"/>%n",
        left, top, plotW, plotH));
    for (double decade = lo; decade <= hi; decade++) {
      for (int step : new int[] {1, 2, 5}) {
        double v = step * Math.pow(10, decade);
        double logV = Math.log10(v);
        if (logV > hi + 1e-9) {
          break;
        }
        double y = top + plotH - (logV - lo) / (hi - lo) * plotH;
        svg.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"%s\"/>"
                + "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\" fill=\"#444\">%s</text>%n",
            left, y, left + plotW, y, step == 1 ? "#ccc" : "#eee", left - 4, y + 4, label(v)));
      }
    }
    for (int i = 0; i < levels.size(); i++) {
      double x = xOf(i, levels.size(), left, plotW);
      svg.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%d</text>%n",
          x, top + plotH + 15, levels.get(i)));
    }
    svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" fill=\"#444\">concurrency</text>%n",
        left + plotW / 2, top + plotH + 31));
    for (int s = 0; s < SERIES.size(); s++) {
      double[] row = values.get(s);
      StringBuilder points = new StringBuilder();
      for (int i = 0; i < row.length; i++) {
        if (Double.isNaN(row[i]) || row[i] <= 0) {
          continue;
        }
        double x = xOf(i, levels.size(), left, plotW);
        double y = top + plotH - (Math.log10(row[i]) - lo) / (hi - lo) * plotH;
        points.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, y));
        svg.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>"
                + "<text x=\"%.1f\" y=\"%.1f\" font-size=\"9\" fill=\"%s\">%s</text>%n",
            x, y, SERIES.get(s).color(), x + 5, y - 4, SERIES.get(s).color(), label(row[i])));
      }
      if (!points.isEmpty()) {
        svg.append(String.format(Locale.ROOT, "<polyline points=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\"/>%n",
            points.toString().strip(), SERIES.get(s).color()));
      }
    }
  }

  private static double xOf(int index, int count, int left, int plotW) {
    return count == 1 ? left + plotW / 2.0 : left + 24 + index * (plotW - 48.0) / (count - 1);
  }

  private static Optional<Double> value(List<Load.Result> loads, String target, int level, Panel panel) {
    return loads.stream().filter(load -> load.target().equals(target) && load.concurrency() == level).findFirst()
        .map(panel.histogram())
        .filter(histogram -> histogram.getTotalCount() > 0)
        .map(histogram -> histogram.getValueAtPercentile(panel.percentile()) / 1000.0);
  }

  private static String label(double ms) {
    return ms >= 10 ? String.format(Locale.ROOT, "%.0f", ms) : String.format(Locale.ROOT, "%.1f", ms);
  }

  private static String escape(String text) {
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }
}
