package io.latentwatch.scoring;

import java.util.Locale;

/**
 * How far an anomalous frame's score is above its threshold: {@link #LOW} below 1.5 × the threshold, {@link
 * #MEDIUM} below 3 ×, {@link #HIGH} from 3 × on; {@link #INVALID} for a score that is not a finite number.
 */
public enum Severity {
    LOW,
    MEDIUM,
    HIGH,
    /** The score is NaN or infinite: the model or the frame is broken, whatever the threshold says. */
    INVALID;

    /** Score over threshold from which an alert is MEDIUM. */
    public static final double MEDIUM_RATIO = 1.5;
    /** Score over threshold from which an alert is HIGH. */
    public static final double HIGH_RATIO = 3.0;

    /** The severity of a score above a (positive) threshold. */
    public static Severity of(double score, double threshold) {
        if (!Double.isFinite(score)) {
            return INVALID;
        }
        double ratio = score / threshold;
        if (ratio >= HIGH_RATIO) {
            return HIGH;
        }
        return ratio >= MEDIUM_RATIO ? MEDIUM : LOW;
    }

    /** Lower case, as in the alerts topic's JSON. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
