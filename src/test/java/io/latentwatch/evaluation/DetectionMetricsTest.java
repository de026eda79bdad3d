package io.latentwatch.evaluation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** Known values, worked by hand (and agreeing with scikit-learn's roc_auc_score and average_precision_score). */
class DetectionMetricsTest {

    @Test
    void aurocIsTheMannWhitneyStatisticWithTiesAsHalf() {
        assertEquals(1.0, DetectionMetrics.auroc(new double[] {0, 1, 2}, new double[] {3, 4}), 1e-12);
        assertEquals(0.0, DetectionMetrics.auroc(new double[] {3, 4}, new double[] {0, 1, 2}), 1e-12);
        assertEquals(0.5, DetectionMetrics.auroc(new double[] {1, 1}, new double[] {1, 1, 1}), 1e-12);
        // pairs (normal, anomaly): 0.1<0.35, 0.1<0.8, 0.4>0.35, 0.4<0.8 -> 3 of 4 (sklearn: 0.75)
        assertEquals(0.75, DetectionMetrics.auroc(new double[] {0.1, 0.4}, new double[] {0.35, 0.8}), 1e-12);
        // one tie counted as one half: (2>1) + (2=2: 0.5) + (3>1) + (3>2) = 3.5 of 4
        assertEquals(0.875, DetectionMetrics.auroc(new double[] {1, 2}, new double[] {2, 3}), 1e-12);
    }

    @Test
    void auprIsAveragePrecision() {
        // sklearn average_precision_score([0,0,1,1], [0.1,0.4,0.35,0.8]) = 0.8333...
        assertEquals(5.0 / 6, DetectionMetrics.aupr(new double[] {0.1, 0.4}, new double[] {0.35, 0.8}), 1e-12);
        assertEquals(1.0, DetectionMetrics.aupr(new double[] {0, 1}, new double[] {5, 6, 7}), 1e-12);
    }

    @Test
    void countsAtAThresholdFlagScoresAboveIt() {
        DetectionMetrics.AtThreshold t = DetectionMetrics.atThreshold(new double[] {0.1, 0.2, 0.5, 0.9}, new double[] {0.5, 0.7, 1.0}, 0.5);
        assertEquals(2, t.truePositives());
        assertEquals(1, t.falsePositives());
        assertEquals(3, t.trueNegatives());
        assertEquals(1, t.falseNegatives());
        assertEquals(2.0 / 3, t.precision(), 1e-12);
        assertEquals(2.0 / 3, t.recall(), 1e-12);
        assertEquals(2.0 / 3, t.f1(), 1e-12);
        assertEquals(0.25, t.falseAlarmRate(), 1e-12);
    }

    @Test
    void rocCurveRunsFromOriginToOne() {
        DetectionMetrics.RocPoint[] roc = DetectionMetrics.rocCurve(new double[] {0.1, 0.4}, new double[] {0.35, 0.8}, 100);
        assertEquals(5, roc.length);
        assertEquals(0, roc[0].falsePositiveRate());
        assertEquals(0.5, roc[1].truePositiveRate());
        assertEquals(0.8, roc[1].threshold());
        assertEquals(1, roc[4].falsePositiveRate());
        assertEquals(1, roc[4].truePositiveRate());
        assertEquals(3, DetectionMetrics.rocCurve(new double[] {1, 2, 3, 4}, new double[] {5, 6, 7}, 3).length);
    }

    @Test
    void emptySetsAndNaNAreRefused() {
        assertEquals("detection metrics need normal and anomalous frames, got 0 normal and 1 anomalous",
                assertThrows(IllegalArgumentException.class, () -> DetectionMetrics.auroc(new double[0], new double[] {1})).getMessage());
        assertEquals("a score is NaN",
                assertThrows(IllegalArgumentException.class, () -> DetectionMetrics.auroc(new double[] {Double.NaN}, new double[] {1})).getMessage());
    }
}
