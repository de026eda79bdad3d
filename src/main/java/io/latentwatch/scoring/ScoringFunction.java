package io.latentwatch.scoring;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.latentwatch.model.DipVaeConfig;
import io.latentwatch.model.Devices;
import io.latentwatch.model.ModelDirectory;
import io.latentwatch.model.ModelFormatException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The DIP-VAE scorer of the streaming job: one {@link FrameBatch} in, a {@link ScoredFrame} per frame out (as a
 * {@link ScoredBatch}, in the batch's order).
 *
 * <p>{@link #open(OpenContext)} reads the model directory and builds a {@link BatchScorer} on this subtask's
 * device ({@link Devices#resolve(String, int)} with the subtask index, so subtask i takes GPU i modulo the GPU
 * count); {@link #close()} frees it. Each batch runs in its own NDManager scope inside the scorer.
 *
 * <p>Metrics (group {@code latentwatch}): {@code framesScored} (counter), {@code batchSize} and {@code
 * inferenceTimeMicros} (histograms over the last {@value #HISTOGRAM_WINDOW} batches), {@code modelVersion} (gauge).
 */
public final class ScoringFunction extends RichMapFunction<FrameBatch, ScoredBatch> {

    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(ScoringFunction.class);
    static final int HISTOGRAM_WINDOW = 1000;

    private final String modelPath;
    private final String device;
    private final String precision;
    /** The expected config as JSON (DipVaeConfig is not Serializable). */
    private final String expectedConfig;

    private transient BatchScorer scorer;
    private transient long modelVersion;
    private transient Counter framesScored;
    private transient Histogram batchSize;
    private transient Histogram inferenceTimeMicros;

    /**
     * @param modelPath the model directory, as the task managers see it
     * @param device auto | cpu | gpu | gpu:N
     * @param precision fp32 | fp16
     * @param expectedConfig the model's config as read when the job was built (the frames are normalised for it);
     *     a model of another shape found in open() is refused
     */
    public ScoringFunction(String modelPath, String device, String precision, DipVaeConfig expectedConfig) {
        this.modelPath = modelPath;
        this.device = device;
        this.precision = precision;
        this.expectedConfig = expectedConfig.toJson().toString();
    }

    @Override
    public void open(OpenContext openContext) throws Exception {
        int subtask = getRuntimeContext().getTaskInfo().getIndexOfThisSubtask();
        Device dev = Devices.resolve(device, subtask);
        DataType type = Devices.precision(precision, dev);
        Path dir = Paths.get(modelPath);
        try (NDManager load = NDManager.newBaseManager(dev)) {
            ModelDirectory.Loaded loaded = ModelDirectory.read(dir, load);
            DipVaeConfig expected = DipVaeConfig.fromJson(expectedConfig);
            if (!loaded.metadata.config().equals(expected)) {
                throw new ModelFormatException("model " + dir + " changed since the job was built: its config is now "
                        + loaded.metadata.config() + ", the job normalises frames for " + expected);
            }
            // the calibrated score with its fitted state (latent statistics for the scores `latentwatch train` writes)
            scorer = BatchScorer.forModel(loaded, dev, type);
            modelVersion = loaded.metadata.version();
        }
        LOG.info("subtask {} scores with model {} version {} on {} ({})", subtask, dir, modelVersion, dev, precision);

        MetricGroup metrics = getRuntimeContext().getMetricGroup().addGroup("latentwatch");
        framesScored = metrics.counter("framesScored");
        batchSize = metrics.histogram("batchSize", new DescriptiveStatisticsHistogram(HISTOGRAM_WINDOW));
        inferenceTimeMicros = metrics.histogram("inferenceTimeMicros", new DescriptiveStatisticsHistogram(HISTOGRAM_WINDOW));
        metrics.gauge("modelVersion", (Gauge<Long>) () -> modelVersion);
    }

    @Override
    public ScoredBatch map(FrameBatch batch) {
        int n = batch.size();
        long t0 = System.nanoTime();
        FrameScore[] scores = scorer.score(batch.pixels, n);
        long micros = TimeUnit.NANOSECONDS.toMicros(System.nanoTime() - t0);
        long now = System.currentTimeMillis();
        ScoredFrame[] out = new ScoredFrame[n];
        for (int i = 0; i < n; i++) {
            out[i] = ScoredFrame.of(batch.sources[i], batch.frameIds[i], batch.capturedAt[i], now, modelVersion, scores[i]);
        }
        framesScored.inc(n);
        batchSize.update(n);
        inferenceTimeMicros.update(micros);
        return new ScoredBatch(out);
    }

    @Override
    public void close() throws Exception {
        if (scorer != null) {
            scorer.close();
            scorer = null;
        }
        super.close();
    }
}
