package io.latentwatch.evaluation;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.util.Locale;

/** A ROC curve drawn with Java2D: axes with a 0.1 grid, the chance diagonal, the curve, and the operating point. */
public final class RocChart {

    private static final int WIDTH = 640;
    private static final int HEIGHT = 600;
    private static final int LEFT = 70;
    private static final int RIGHT = 30;
    private static final int TOP = 50;
    private static final int BOTTOM = 60;

    private RocChart() {}

    /**
     * Draws a ROC curve.
     *
     * @param title one line above the plot
     * @param curve the curve's points, from (0, 0) to (1, 1)
     * @param auroc shown in the legend
     * @param operating the calibrated threshold's point (false-alarm rate, recall), or null
     */
    public static BufferedImage draw(String title, DetectionMetrics.RocPoint[] curve, double auroc, double[] operating) {
        BufferedImage img = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, WIDTH, HEIGHT);
        int w = WIDTH - LEFT - RIGHT;
        int h = HEIGHT - TOP - BOTTOM;
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        for (int i = 0; i <= 10; i++) {
            int x = LEFT + w * i / 10;
            int y = TOP + h - h * i / 10;
            g.setColor(new Color(230, 230, 230));
            g.drawLine(x, TOP, x, TOP + h);
            g.drawLine(LEFT, y, LEFT + w, y);
            g.setColor(Color.DARK_GRAY);
            String label = String.format(Locale.ROOT, "%.1f", i / 10.0);
            g.drawString(label, x - g.getFontMetrics().stringWidth(label) / 2, TOP + h + 18);
            g.drawString(label, LEFT - 8 - g.getFontMetrics().stringWidth(label), y + 4);
        }
        g.setColor(Color.BLACK);
        g.drawRect(LEFT, TOP, w, h);
        g.drawString("false-alarm rate (false positive rate)", LEFT + w / 2 - 110, HEIGHT - 20);
        Graphics2D rotated = (Graphics2D) g.create();
        rotated.rotate(-Math.PI / 2);
        rotated.drawString("recall (true positive rate)", -(TOP + h / 2 + 75), 22);
        rotated.dispose();
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
        String shown = title;
        while (g.getFontMetrics().stringWidth(shown) > WIDTH - LEFT - 10 && shown.length() > 4) {
            shown = shown.substring(0, shown.length() - 4) + "...";
        }
        g.drawString(shown, LEFT, TOP - 20);

        g.setColor(Color.GRAY);
        g.setStroke(new BasicStroke(1f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {6f, 6f}, 0f));
        g.drawLine(LEFT, TOP + h, LEFT + w, TOP);

        Path2D path = new Path2D.Double();
        for (int i = 0; i < curve.length; i++) {
            double x = LEFT + curve[i].falsePositiveRate() * w;
            double y = TOP + h - curve[i].truePositiveRate() * h;
            if (i == 0) {
                path.moveTo(x, y);
            } else {
                path.lineTo(x, y);
            }
        }
        g.setColor(new Color(31, 119, 180));
        g.setStroke(new BasicStroke(2.2f));
        g.draw(path);

        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
        int legendY = TOP + h - 50;
        g.drawLine(LEFT + w - 230, legendY, LEFT + w - 205, legendY);
        g.setColor(Color.BLACK);
        g.drawString(String.format(Locale.ROOT, "ROC, AUROC %.4f", auroc), LEFT + w - 198, legendY + 5);
        if (operating != null) {
            double x = LEFT + operating[0] * w;
            double y = TOP + h - operating[1] * h;
            g.setColor(new Color(214, 39, 40));
            g.fill(new Ellipse2D.Double(x - 5, y - 5, 10, 10));
            g.fill(new Ellipse2D.Double(LEFT + w - 222, legendY + 20, 10, 10));
            g.setColor(Color.BLACK);
            g.drawString(String.format(Locale.ROOT, "threshold: FAR %.3f, recall %.3f", operating[0], operating[1]), LEFT + w - 198,
                    legendY + 30);
        }
        g.dispose();
        return img;
    }
}
