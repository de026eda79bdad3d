package io.latentwatch.evaluation;

import ai.djl.ndarray.types.DataType;
import io.latentwatch.data.GroundTruthMasks;
import io.latentwatch.data.SyntheticDataset;
import io.latentwatch.frames.synthetic.AnomalyKind;
import io.latentwatch.frames.synthetic.CameraFrame;
import io.latentwatch.frames.synthetic.SyntheticCamera;
import io.latentwatch.model.MemoryLayout;
import io.latentwatch.scoring.AnomalyScore;
import io.latentwatch.scoring.BatchScorer;
import io.latentwatch.scoring.FrameScore;
import io.latentwatch.scoring.MapCalibration;
import io.latentwatch.training.Calibrator;
import io.latentwatch.training.ModelTrainer;
import io.latentwatch.training.NormalisedFrames;
import io.latentwatch.training.ProgressListener;
import io.latentwatch.training.TrainedModel;
import io.latentwatch.training.TrainingOptions;
import java.awt.Rectangle;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Detection and localisation on the synthetic camera: train on its normal frames 0 to {@code trainFrames} − 1 (the
 * options' validation share held out to calibrate), then score test scenes {@value #TEST_FROM} on without an anomaly
 * and, the same scenes, with each of the seven kinds; report each score's image AUROC per kind and, from the anomaly
 * maps against the kinds' ground-truth boxes, the pixel AUROC and AUPRO per kind.
 */
public final class SyntheticBenchmark {

    /** The first test scene: beyond the training frames of {@code synthetic} (0 to 4,095). */
    public static final long TEST_FROM = SyntheticDataset.DEFAULT_COUNT;
    /** Training frames unless told otherwise. */
    public static final int TRAIN_FRAMES = 3000;
    /** Test scenes unless told otherwise. */
    public static final int TEST_FRAMES = 1024;

    private SyntheticBenchmark() {}

    /**
     * What one run measured.
     *
     * @param auroc per score (the calibrated one first), per kind label ("all" first), the image AUROC
     * @param pixelAuroc per kind label ("all" first), the pixel AUROC of the calibrated maps; empty without maps
     * @param pixelAupro the same for AUPRO (false-positive rates up to 0.3)
     * @param recall per kind label, the share of its frames above the calibrated threshold
     * @param testFalseAlarmRate the normal test frames above it
     * @param variants other anomaly maps measured on the same network, by {@link #variantName}
     */
    public record Result(String score, Map<String, Map<String, Double>> auroc, Map<String, Double> pixelAuroc, Map<String, Double> pixelAupro,
            Map<String, Double> recall, double testFalseAlarmRate, double trainingSeconds, double seconds, String settings,
            Map<String, Variant> variants) {}

    /**
     * One anomaly map's figures on the run's network.
     *
     * @param auroc per map score (map-topk, map-max), per kind label ("all" first), the image AUROC
     * @param pixelAuroc per kind label, the pixel AUROC
     */
    public record Variant(Map<String, Map<String, Double>> auroc, Map<String, Double> pixelAuroc, Map<String, Double> pixelAupro) {}

    /** "l2 sigma 1.0 top-k 0.01". */
    public static String variantName(MapCalibration m) {
        return m.map().kind().label() + " sigma " + m.map().sigma() + " top-k " + m.topK();
    }

    /** As {@link #run(TrainingOptions, SyntheticCamera, int, int, List, Path, ProgressListener)} without variants or model. */
    public static Result run(TrainingOptions options, SyntheticCamera camera, int trainFrames, int testFrames, ProgressListener progress) {
        return run(options, camera, trainFrames, testFrames, List.of(), null, progress);
    }

    /**
     * Trains, calibrates and measures.
     *
     * @param camera the camera (its image size and channels are the model's unless the options fix them)
     * @param variants other anomaly maps ({@link MapCalibration#uncalibrated}) to calibrate and measure on the same
     *     network, to compare with the options' own
     * @param modelDir where to write the trained model directory, or null
     */
    public static Result run(TrainingOptions options, SyntheticCamera camera, int trainFrames, int testFrames, List<MapCalibration> variants,
            Path modelDir, ProgressListener progress) {
        long t0 = System.nanoTime();
        TrainingOptions o = options.toBuilder().optWriteImages(false).optDataSpec("synthetic@0-" + trainFrames).build();
        var config = o.resolveConfig(camera.channels(), camera.imageSize());
        int channels = config.inChannels();
        int size = config.imageSize();
        NormalisedFrames all = NormalisedFrames.load(new SyntheticDataset(camera, 0, trainFrames), channels, size);
        NormalisedFrames[] split = all.split(o.validationFraction(), o.seed());
        progress.message("synthetic camera: training on " + split[0].count() + " frames, calibrating on " + split[1].count());
        try (TrainedModel model = ModelTrainer.fit(o, config, split[0], split[1], o.dataSpec(), progress)) {
            double trainingSeconds = (System.nanoTime() - t0) / 1e9;
            if (modelDir != null) {
                try {
                    model.write(modelDir);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
            progress.message("scoring " + testFrames + " test scenes, normal and with each of " + (AnomalyKind.values().length - 1) + " kinds");
            Map<AnomalyKind, NormalisedFrames> tests = new LinkedHashMap<>();
            Map<AnomalyKind, boolean[][]> masks = new LinkedHashMap<>();
            for (AnomalyKind kind : AnomalyKind.values()) {
                float[] values = new float[testFrames * channels * size * size];
                boolean[][] mask = new boolean[testFrames][];
                for (int i = 0; i < testFrames; i++) {
                    CameraFrame f = camera.frame(TEST_FROM + i, kind);
                    System.arraycopy(f.normalise(channels, size), 0, values, i * channels * size * size, channels * size * size);
                    mask[i] = mask(f.region(), camera.imageSize(), size);
                }
                tests.put(kind, NormalisedFrames.of(values, testFrames, channels, size, null));
                masks.put(kind, mask);
            }
            Map<AnomalyKind, FrameScore[]> scores = score(model, model.score(), model.maps(), tests);
            Map<String, Variant> measured = new LinkedHashMap<>();
            for (MapCalibration v : variants) {
                progress.message("anomaly map " + variantName(v));
                MapCalibration fitted = Calibrator.calibrateMaps(model.model(), model.device(), split[0], split[1], v, o.falseAlarmRate());
                Map<AnomalyKind, FrameScore[]> s = score(model, AnomalyScore.of(AnomalyScore.MAP_TOPK), fitted, tests);
                Map<String, Map<String, Double>> auroc = new LinkedHashMap<>();
                for (String name : List.of(AnomalyScore.MAP_TOPK, AnomalyScore.MAP_MAX)) {
                    auroc.put(name, imageAuroc(s, AnomalyScore.of(name)));
                }
                Map<String, Double> pixelAuroc = new LinkedHashMap<>();
                Map<String, Double> pixelAupro = new LinkedHashMap<>();
                pixel(s, masks, null, pixelAuroc, pixelAupro);
                measured.put(variantName(fitted), new Variant(auroc, pixelAuroc, pixelAupro));
            }
            return measure(model, scores, masks, trainingSeconds, (System.nanoTime() - t0) / 1e9, o.toString(), measured);
        }
    }

    private static Map<AnomalyKind, FrameScore[]> score(TrainedModel model, AnomalyScore score, MapCalibration maps,
            Map<AnomalyKind, NormalisedFrames> tests) {
        Map<AnomalyKind, FrameScore[]> out = new LinkedHashMap<>();
        try (BatchScorer scorer = new BatchScorer(model.model(), model.device(), DataType.FLOAT32, MemoryLayout.NHWC, score, maps)) {
            tests.forEach((kind, frames) -> out.put(kind, Calibrator.scoreAll(scorer, frames)));
        }
        return out;
    }

    /** Per kind label ("all" first), the image AUROC of a score against the normal frames. */
    private static Map<String, Double> imageAuroc(Map<AnomalyKind, FrameScore[]> scores, AnomalyScore s) {
        Map<String, Double> byKind = new LinkedHashMap<>();
        List<Double> pooled = new ArrayList<>();
        for (Map.Entry<AnomalyKind, FrameScore[]> e : scores.entrySet()) {
            if (e.getKey() != AnomalyKind.NONE) {
                for (FrameScore f : e.getValue()) {
                    pooled.add(s.score(f));
                }
            }
        }
        double[] n = values(scores.get(AnomalyKind.NONE), s);
        byKind.put("all", DetectionMetrics.auroc(n, pooled.stream().mapToDouble(Double::doubleValue).toArray()));
        for (Map.Entry<AnomalyKind, FrameScore[]> e : scores.entrySet()) {
            if (e.getKey() != AnomalyKind.NONE) {
                byKind.put(e.getKey().label(), DetectionMetrics.auroc(n, values(e.getValue(), s)));
            }
        }
        return byKind;
    }

    private static Result measure(TrainedModel model, Map<AnomalyKind, FrameScore[]> scores, Map<AnomalyKind, boolean[][]> masks,
            double trainingSeconds, double seconds, String settings, Map<String, Variant> variants) {
        FrameScore[] normal = scores.get(AnomalyKind.NONE);
        List<String> names = new ArrayList<>(AnomalyScore.NAMES);
        names.remove(model.score().name());
        names.add(0, model.score().name());
        if (model.maps() == null) {
            names.removeIf(AnomalyScore::needsMap);
        }
        Map<String, Map<String, Double>> auroc = new LinkedHashMap<>();
        for (String name : names) {
            auroc.put(name, imageAuroc(scores, model.score().as(name)));
        }
        double threshold = model.metadata().threshold();
        Map<String, Double> recall = new LinkedHashMap<>();
        for (Map.Entry<AnomalyKind, FrameScore[]> e : scores.entrySet()) {
            if (e.getKey() != AnomalyKind.NONE) {
                long hits = java.util.Arrays.stream(e.getValue()).filter(f -> f.score > threshold).count();
                recall.put(e.getKey().label(), (double) hits / e.getValue().length);
            }
        }
        double far = (double) java.util.Arrays.stream(normal).filter(f -> f.score > threshold).count() / normal.length;
        Map<String, Double> pixelAuroc = new LinkedHashMap<>();
        Map<String, Double> pixelAupro = new LinkedHashMap<>();
        if (model.maps() != null) {
            pixel(scores, masks, null, pixelAuroc, pixelAupro);
            for (AnomalyKind k : scores.keySet()) {
                if (k != AnomalyKind.NONE) {
                    pixel(scores, masks, k, pixelAuroc, pixelAupro);
                }
            }
        }
        return new Result(model.score().name(), auroc, pixelAuroc, pixelAupro, recall, far, trainingSeconds, seconds, settings, variants);
    }

    /** Pixel metrics over the normal frames and one kind's (null: every kind's). */
    private static void pixel(Map<AnomalyKind, FrameScore[]> scores, Map<AnomalyKind, boolean[][]> masks, AnomalyKind kind,
            Map<String, Double> auroc, Map<String, Double> aupro) {
        List<float[]> maps = new ArrayList<>();
        List<boolean[]> truth = new ArrayList<>();
        for (AnomalyKind k : scores.keySet()) {
            if (k == AnomalyKind.NONE || kind == null || k == kind) {
                FrameScore[] s = scores.get(k);
                boolean[][] m = masks.get(k);
                for (int i = 0; i < s.length; i++) {
                    maps.add(s[i].map.values());
                    truth.add(m[i]);
                }
            }
        }
        String label = kind == null ? "all" : kind.label();
        int size = (int) Math.round(Math.sqrt(maps.get(0).length));
        PixelMetrics.Result r = PixelMetrics.measure(size, maps.toArray(new float[0][]), truth.toArray(new boolean[0][]));
        auroc.put(label, r.auroc());
        aupro.put(label, r.aupro());
    }

    /** A ground-truth box of the camera's image as a mask of the model's grid (the box scaled, rounded outwards). */
    static boolean[] mask(Rectangle box, int imageSize, int size) {
        boolean[] m = new boolean[size * size];
        GroundTruthMasks.fromBox(box, imageSize, size, m);
        return m;
    }

    private static double[] values(FrameScore[] frames, AnomalyScore s) {
        double[] out = new double[frames.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = s.score(frames[i]);
        }
        return out;
    }
}
