package io.latentwatch.training;

import java.io.PrintWriter;
import java.util.Locale;

/**
 * Training progress on a console: on a terminal one line rewritten in place ({@code \r}) at most ten times a
 * second, and a kept line per epoch (offdiag and diag are the unweighted DIP sums); elsewhere (a log file, a pipe) only the kept lines, so logs stay readable.
 *
 * <pre>
 * epoch  3/20 [=========>          ]  48%  loss 41.82  recons 40.95  kld 118.7  offdiag 0.0121  diag 0.00502  912 frames/s
 * epoch  3/20  loss 41.20  recons 40.31  kld 119.2  offdiag 0.0118  diag 0.00461  val mse 0.01021  lr 9.1e-04  915 frames/s  1m12s
 * </pre>
 */
public final class ConsoleProgress implements ProgressListener {

    private static final int BAR = 20;
    private static final long REDRAW_NANOS = 100_000_000L;

    private final PrintWriter out;
    private final boolean interactive;
    private long lastDraw;
    private int drawnWidth;

    /**
     * @param out where to write (stderr, normally)
     * @param interactive whether {@code out} is a terminal that understands {@code \r}
     */
    public ConsoleProgress(PrintWriter out, boolean interactive) {
        this.out = out;
        this.interactive = interactive;
    }

    /** Progress on the process's stderr, redrawn in place when the process has a terminal. */
    public static ConsoleProgress stderr(PrintWriter err) {
        return new ConsoleProgress(err, System.console() != null);
    }

    @Override
    public void message(String line) {
        clear();
        out.println(line);
        out.flush();
    }

    @Override
    public void step(TrainingProgress p) {
        if (!interactive) {
            return;
        }
        long now = System.nanoTime();
        if (now - lastDraw < REDRAW_NANOS && p.step() != p.stepsPerEpoch()) {
            return;
        }
        lastDraw = now;
        int filled = (int) Math.round(BAR * (double) p.step() / p.stepsPerEpoch());
        String bar = "=".repeat(Math.max(0, filled - 1)) + (filled > 0 ? ">" : "") + " ".repeat(BAR - filled);
        String line = String.format(Locale.ROOT, "epoch %s [%s] %3d%%  %s  %.0f frames/s", epochLabel(p), bar,
                Math.round(100.0 * p.step() / p.stepsPerEpoch()), terms(p), p.framesPerSecond());
        out.print("\r" + line + " ".repeat(Math.max(0, drawnWidth - line.length())));
        drawnWidth = line.length();
        out.flush();
    }

    @Override
    public void epoch(TrainingProgress p) {
        clear();
        out.println(String.format(Locale.ROOT, "epoch %s  %s  val mse %.5g  lr %.1e  %.0f frames/s  %s", epochLabel(p), terms(p),
                p.validationMse(), p.learningRate(), p.framesPerSecond(), elapsed(p.elapsedSeconds())));
        out.flush();
    }

    private void clear() {
        if (drawnWidth > 0) {
            out.print("\r" + " ".repeat(drawnWidth) + "\r");
            drawnWidth = 0;
        }
    }

    private static String epochLabel(TrainingProgress p) {
        int w = Integer.toString(p.epochs()).length();
        return String.format(Locale.ROOT, "%" + w + "d/%d", p.epoch(), p.epochs());
    }

    private static String terms(TrainingProgress p) {
        return String.format(Locale.ROOT, "loss %.4g  recons %.4g  kld %.4g  offdiag %.3g  diag %.3g", p.total(), p.recons(), p.kld(),
                p.offDiagonal(), p.diagonal());
    }

    private static String elapsed(double seconds) {
        long s = Math.round(seconds);
        return s >= 60 ? String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60) : String.format(Locale.ROOT, "%.1fs", seconds);
    }
}
