package io.latentwatch.bench;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.latentwatch.data.GroundTruthMasks;
import io.latentwatch.evaluation.DetectionMetrics;
import io.latentwatch.evaluation.PixelMetrics;
import io.latentwatch.frames.synthetic.AnomalyKind;
import io.latentwatch.frames.synthetic.CameraFrame;
import io.latentwatch.frames.synthetic.SyntheticCamera;
import io.latentwatch.model.MemoryLayout;
import io.latentwatch.model.ModelDirectory;
import io.latentwatch.model.ReconstructionMap;
import io.latentwatch.scoring.AnomalyMap;
import io.latentwatch.scoring.AnomalyScore;
import io.latentwatch.scoring.BatchScorer;
import io.latentwatch.scoring.FrameScore;
import io.latentwatch.scoring.MapCalibration;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * How the anomaly map's smoothing, standardisation and top-k share change detection and localisation on the synthetic
 * camera, all on one trained model (not a unit test; nothing is asserted): raw maps of the camera's normal frames
 * 0-2,999 give each pixel's mean and spread, then 512 test scenes (4,096 on) of each kind are scored by map-topk with
 * the map standardised by nothing ("floor -1"), by each pixel's mean and own spread floored at {@code floor} times the
 * map's mean spread, or by each pixel's mean and the mean spread ("floor 1e9"). It prints the image AUROC per kind
 * and, at top-k 1 %, the pixel AUROC and AUPRO over all kinds (docs/training.md, "Anomaly maps"). Run with
 * {@code java -cp target/classes:target/test-classes:CP io.latentwatch.bench.MapVariantsBenchmark MODEL_DIR [l2|ssim]
 * [SIGMA,...]}, MODEL_DIR from {@code benchmark quality --dataset synthetic --out MODEL_DIR}.
 */
public final class MapVariantsBenchmark {

    private MapVariantsBenchmark() {}

    private static float[][] raw(BatchScorer scorer, SyntheticCamera cam, long from, int n, AnomalyKind kind, int c, int s, boolean[][] masks) {
        float[][] out = new float[n][];
        int fv = c * s * s;
        for (int b = 0; b < n; b += 128) {
            int k = Math.min(128, n - b);
            float[] px = new float[k * fv];
            for (int i = 0; i < k; i++) {
                CameraFrame f = cam.frame(from + b + i, kind);
                System.arraycopy(f.normalise(c, s), 0, px, i * fv, fv);
                if (masks != null) {
                    masks[b + i] = new boolean[s * s];
                    GroundTruthMasks.fromBox(f.region(), cam.imageSize(), s, masks[b + i]);
                }
            }
            FrameScore[] fs = scorer.score(px, k);
            for (int i = 0; i < k; i++) {
                out[b + i] = fs[i].map.values();
            }
        }
        return out;
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        String kindArg = args.length > 1 ? args[1] : "l2";
        String[] sigmas = (args.length > 2 ? args[2] : "1,2,3").split(",");
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            ModelDirectory.Loaded loaded = ModelDirectory.read(dir, m);
            int c = loaded.metadata.config().inChannels();
            int s = loaded.metadata.config().imageSize();
            SyntheticCamera cam = SyntheticCamera.builder().build();
            for (String sg : sigmas) {
                MapCalibration raw = MapCalibration.uncalibrated(new ReconstructionMap(ReconstructionMap.Kind.fromLabel(kindArg), Double.parseDouble(sg)), 0.01);
                try (BatchScorer scorer = new BatchScorer(loaded.model, Device.cpu(), DataType.FLOAT32, MemoryLayout.NHWC, AnomalyScore.mse(), raw)) {
                    float[][] train = raw(scorer, cam, 0, 3000, AnomalyKind.NONE, c, s, null);
                    Map<AnomalyKind, float[][]> test = new LinkedHashMap<>();
                    Map<AnomalyKind, boolean[][]> masks = new LinkedHashMap<>();
                    for (AnomalyKind k : AnomalyKind.values()) {
                        boolean[][] mk = new boolean[512][];
                        test.put(k, raw(scorer, cam, 4096, 512, k, c, s, mk));
                        masks.put(k, mk);
                    }
                    int n = s * s;
                    double[] mean = new double[n];
                    double[] var = new double[n];
                    for (float[] f : train) {
                        for (int i = 0; i < n; i++) {
                            mean[i] += f[i] / (double) train.length;
                        }
                    }
                    for (float[] f : train) {
                        for (int i = 0; i < n; i++) {
                            var[i] += (f[i] - mean[i]) * (f[i] - mean[i]) / train.length;
                        }
                    }
                    double meanStd = Arrays.stream(var).map(Math::sqrt).average().orElse(1);
                    for (double floor : new double[] {-1, 0.1, 1e9}) {
                        float[] spread = new float[n];
                        for (int i = 0; i < n; i++) {
                            spread[i] = floor < 0 ? 1 : (float) Math.max(Math.sqrt(var[i]), floor * meanStd);
                        }
                        for (double topk : new double[] {0.005, 0.01, 0.02}) {
                            int kk = Math.max(1, (int) Math.round(topk * n));
                            Map<AnomalyKind, double[]> scores = new LinkedHashMap<>();
                            Map<AnomalyKind, float[][]> z = new LinkedHashMap<>();
                            for (var e : test.entrySet()) {
                                float[][] zz = new float[e.getValue().length][];
                                double[] sc = new double[zz.length];
                                for (int f = 0; f < zz.length; f++) {
                                    zz[f] = new float[n];
                                    for (int i = 0; i < n; i++) {
                                        zz[f][i] = (float) (floor < 0 ? e.getValue()[f][i] : (e.getValue()[f][i] - mean[i]) / spread[i]);
                                    }
                                    sc[f] = new AnomalyMap(s, zz[f], Double.NaN).topKMean(kk);
                                }
                                scores.put(e.getKey(), sc);
                                z.put(e.getKey(), zz);
                            }
                            StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%s sigma %s floor %s topk %s:", kindArg, sg, floor, topk));
                            double min = 1;
                            for (AnomalyKind k : AnomalyKind.values()) {
                                if (k == AnomalyKind.NONE) {
                                    continue;
                                }
                                double a = DetectionMetrics.auroc(scores.get(AnomalyKind.NONE), scores.get(k));
                                min = Math.min(min, a);
                                line.append(String.format(Locale.ROOT, " %s %.3f", k.label(), a));
                            }
                            if (topk == 0.01) {
                                float[][] allMaps = new float[512 * 8][];
                                boolean[][] allMasks = new boolean[512 * 8][];
                                int idx = 0;
                                for (AnomalyKind k : AnomalyKind.values()) {
                                    for (int f = 0; f < 512; f++) {
                                        allMaps[idx] = z.get(k)[f];
                                        allMasks[idx++] = masks.get(k)[f];
                                    }
                                }
                                PixelMetrics.Result pr = PixelMetrics.measure(s, allMaps, allMasks);
                                line.append(String.format(Locale.ROOT, " | pixel AUROC %.3f AUPRO %.3f", pr.auroc(), pr.aupro()));
                            }
                            line.append(String.format(Locale.ROOT, " | min %.3f", min));
                            System.out.println(line);
                        }
                    }
                }
            }
        }
    }
}
