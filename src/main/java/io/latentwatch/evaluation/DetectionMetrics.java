package io.latentwatch.evaluation;

import java.util.Arrays;

/**
 * Detection quality of a score on labelled frames (anomalies are the positives; a higher score means more
 * anomalous): the threshold-free AUROC and AUPR, and precision, recall, F1 and false-alarm rate at a threshold
 * (a frame is flagged when its score is strictly greater than the threshold).
 */
public final class DetectionMetrics {

    /** A point of the ROC curve. */
    public record RocPoint(double falsePositiveRate, double truePositiveRate, double threshold) {}

    /** Counts and rates at one threshold. */
    public record AtThreshold(double threshold, long truePositives, long falsePositives, long trueNegatives, long falseNegatives) {
        public double precision() {
            long flagged = truePositives + falsePositives;
            return flagged == 0 ? Double.NaN : (double) truePositives / flagged;
        }

        public double recall() {
            long positives = truePositives + falseNegatives;
            return positives == 0 ? Double.NaN : (double) truePositives / positives;
        }

        public double f1() {
            double p = precision();
            double r = recall();
            return Double.isNaN(p) || Double.isNaN(r) || p + r == 0 ? 0 : 2 * p * r / (p + r);
        }

        public double falseAlarmRate() {
            long negatives = falsePositives + trueNegatives;
            return negatives == 0 ? Double.NaN : (double) falsePositives / negatives;
        }
    }

    private DetectionMetrics() {}

    /**
     * Area under the ROC curve: the probability that a random anomaly scores above a random normal frame, ties
     * counted as one half (the Mann-Whitney statistic, from average ranks).
     *
     * @throws IllegalArgumentException if either set is empty or a score is NaN
     */
    public static double auroc(double[] normal, double[] anomalous) {
        check(normal, anomalous);
        int n = normal.length + anomalous.length;
        double[][] all = sorted(normal, anomalous);
        double rankSum = 0; // ranks of the anomalies, 1-based, ties averaged
        int i = 0;
        while (i < n) {
            int j = i;
            while (j + 1 < n && all[j + 1][0] == all[i][0]) {
                j++;
            }
            double rank = (i + j) / 2.0 + 1;
            for (int k = i; k <= j; k++) {
                if (all[k][1] == 1) {
                    rankSum += rank;
                }
            }
            i = j + 1;
        }
        double m = anomalous.length;
        return (rankSum - m * (m + 1) / 2) / (m * normal.length);
    }

    /**
     * Area under the precision-recall curve as average precision: Σ (R_k − R_{k−1}) P_k over the distinct
     * thresholds from the highest score down (scikit-learn's average_precision_score).
     */
    public static double aupr(double[] normal, double[] anomalous) {
        check(normal, anomalous);
        double ap = 0;
        double lastRecall = 0;
        for (double[] c : countsFromTheTop(normal, anomalous)) {
            double recall = c[1] / anomalous.length;
            ap += (recall - lastRecall) * (c[1] / (c[1] + c[2]));
            lastRecall = recall;
        }
        return ap;
    }

    /** Counts at a threshold: flagged = score &gt; threshold. */
    public static AtThreshold atThreshold(double[] normal, double[] anomalous, double threshold) {
        long fp = Arrays.stream(normal).filter(s -> s > threshold).count();
        long tp = Arrays.stream(anomalous).filter(s -> s > threshold).count();
        return new AtThreshold(threshold, tp, fp, normal.length - fp, anomalous.length - tp);
    }

    /**
     * The ROC curve from (0, 0) to (1, 1), one point per distinct score (threshold: flagged = score ≥ it), at most
     * {@code maxPoints} points (evenly thinned, the ends kept).
     */
    public static RocPoint[] rocCurve(double[] normal, double[] anomalous, int maxPoints) {
        check(normal, anomalous);
        java.util.List<RocPoint> points = new java.util.ArrayList<>();
        points.add(new RocPoint(0, 0, Double.POSITIVE_INFINITY));
        for (double[] c : countsFromTheTop(normal, anomalous)) {
            points.add(new RocPoint(c[2] / normal.length, c[1] / anomalous.length, c[0]));
        }
        if (points.size() <= maxPoints) {
            return points.toArray(new RocPoint[0]);
        }
        RocPoint[] out = new RocPoint[maxPoints];
        for (int k = 0; k < maxPoints; k++) {
            out[k] = points.get((int) Math.round((double) k * (points.size() - 1) / (maxPoints - 1)));
        }
        return out;
    }

    /**
     * For each distinct score from the highest down: {score, anomalies, normal frames} scoring at least that much.
     * The thresholds at which the ROC and precision-recall curves move.
     */
    private static java.util.List<double[]> countsFromTheTop(double[] normal, double[] anomalous) {
        double[][] all = sorted(normal, anomalous);
        java.util.List<double[]> out = new java.util.ArrayList<>();
        double tp = 0;
        double fp = 0;
        int i = all.length - 1;
        while (i >= 0) {
            int j = i;
            while (j - 1 >= 0 && all[j - 1][0] == all[i][0]) {
                j--;
            }
            for (int k = j; k <= i; k++) {
                if (all[k][1] == 1) {
                    tp++;
                } else {
                    fp++;
                }
            }
            out.add(new double[] {all[i][0], tp, fp});
            i = j - 1;
        }
        return out;
    }

    /** Pairs (score, 1 for an anomaly), ascending by score. */
    private static double[][] sorted(double[] normal, double[] anomalous) {
        double[][] all = new double[normal.length + anomalous.length][];
        for (int i = 0; i < normal.length; i++) {
            all[i] = new double[] {normal[i], 0};
        }
        for (int i = 0; i < anomalous.length; i++) {
            all[normal.length + i] = new double[] {anomalous[i], 1};
        }
        Arrays.sort(all, (a, b) -> Double.compare(a[0], b[0]));
        return all;
    }

    private static void check(double[] normal, double[] anomalous) {
        if (normal.length == 0 || anomalous.length == 0) {
            throw new IllegalArgumentException("detection metrics need normal and anomalous frames, got " + normal.length
                    + " normal and " + anomalous.length + " anomalous");
        }
        for (double[] set : new double[][] {normal, anomalous}) {
            for (double v : set) {
                if (Double.isNaN(v)) {
                    throw new IllegalArgumentException("a score is NaN");
                }
            }
        }
    }
}
