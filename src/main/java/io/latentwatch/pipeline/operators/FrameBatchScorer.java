package io.latentwatch.pipeline.operators;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import io.latentwatch.frames.MapOverlay;
import io.latentwatch.model.Devices;
import io.latentwatch.model.DipVaeConfig;
import io.latentwatch.scoring.AnomalyMap;
import io.latentwatch.scoring.FrameBatch;
import io.latentwatch.scoring.FrameScore;
import io.latentwatch.scoring.ScoredBatch;
import io.latentwatch.scoring.ScoredFrame;
import io.latentwatch.scoring.ServedModel;
import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.functions.RuntimeContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;

/**
 * What a scoring subtask does with a batch, whichever Flink function hosts it: score it with the served model, stamp
 * each frame with the model's version and threshold, locate its anomaly (region and peak, from the model's grid into
 * the frame's own pixels) and, for the frames with a region, render the PNG their alert carries, copy the pixels of
 * every k-th frame for the fine-tuner's sampler, and keep the metrics. {@link #serve} swaps the model between two
 * batches.
 *
 * <p>Metrics (group {@code latentwatch}): {@code framesScored} (counter), {@code batchSize} and {@code
 * inferenceTimeMicros} (histograms over the last {@value #HISTOGRAM_WINDOW} batches), {@code modelVersion} (gauge).
 */
final class FrameBatchScorer implements Serializable {

    private static final long serialVersionUID = 1L;
    static final int HISTOGRAM_WINDOW = 1000;

    private final String device;
    private final String precision;
    /** The expected config as JSON (DipVaeConfig is not Serializable). */
    private final String expectedConfig;
    /** Every k-th frame carries its pixels on (0: none). */
    private final int sampleEvery;
    /** The largest anomaly-map PNG (0: none rendered). */
    private final int mapPngMaxBytes;

    private transient Device dev;
    private transient DataType type;
    private transient DipVaeConfig expected;
    private transient ServedModel served;
    private transient long frames;
    private transient Counter framesScored;
    private transient Histogram batchSize;
    private transient Histogram inferenceTimeMicros;

    /**
     * @param device auto | cpu | gpu | gpu:N
     * @param precision fp32 | fp16
     * @param expectedConfig the config the job normalises frames for
     * @param sampleRate the fraction of frames whose pixels go on for sampling, in [0, 1]
     * @param mapPngMaxBytes the largest anomaly-map PNG of a frame with a region; 0 renders none
     */
    FrameBatchScorer(String device, String precision, DipVaeConfig expectedConfig, double sampleRate, int mapPngMaxBytes) {
        if (!(sampleRate >= 0 && sampleRate <= 1)) {
            throw new IllegalArgumentException("sample rate must be in [0, 1], got " + sampleRate);
        }
        if (mapPngMaxBytes < 0) {
            throw new IllegalArgumentException("the anomaly-map PNG's byte limit must not be negative, got " + mapPngMaxBytes);
        }
        this.device = device;
        this.precision = precision;
        this.expectedConfig = expectedConfig.toJson().toString();
        this.sampleEvery = sampleRate == 0 ? 0 : (int) Math.max(1, Math.round(1 / sampleRate));
        this.mapPngMaxBytes = mapPngMaxBytes;
    }

    /** Resolves this subtask's device (subtask i takes GPU i modulo the GPU count) and registers the metrics. */
    void open(RuntimeContext context) {
        int subtask = context.getTaskInfo().getIndexOfThisSubtask();
        dev = Devices.resolve(device, subtask);
        type = Devices.precision(precision, dev);
        expected = DipVaeConfig.fromJson(expectedConfig);
        MetricGroup metrics = context.getMetricGroup().addGroup("latentwatch");
        framesScored = metrics.counter("framesScored");
        batchSize = metrics.histogram("batchSize", new DescriptiveStatisticsHistogram(HISTOGRAM_WINDOW));
        inferenceTimeMicros = metrics.histogram("inferenceTimeMicros", new DescriptiveStatisticsHistogram(HISTOGRAM_WINDOW));
        metrics.gauge("modelVersion", (Gauge<Long>) () -> served == null ? -1 : served.version);
    }

    /** Loads a model directory for this subtask's device; safe on another thread than the one scoring. */
    ServedModel load(Path dir, String expectedSha256) throws IOException {
        return ServedModel.load(dir, dev, type, expected, expectedSha256);
    }

    /** Serves {@code next} from the next batch on and closes the model served until now. */
    void serve(ServedModel next) {
        ServedModel old = served;
        served = next;
        if (old != null) {
            old.close();
        }
    }

    ServedModel served() {
        return served;
    }

    String device() {
        return dev + " (" + precision + ")";
    }

    ScoredBatch score(FrameBatch batch) {
        int n = batch.size();
        int values = batch.pixels.length / n;
        long t0 = System.nanoTime();
        FrameScore[] scores = served.scorer.score(batch.pixels, n);
        long micros = TimeUnit.NANOSECONDS.toMicros(System.nanoTime() - t0);
        long now = System.currentTimeMillis();
        ScoredFrame[] out = new ScoredFrame[n];
        for (int i = 0; i < n; i++) {
            ScoredFrame f = ScoredFrame.of(batch.sources[i], batch.frameIds[i], batch.capturedAt[i], now, served.version, scores[i]);
            f.modelThreshold = served.threshold;
            if (scores[i].map != null) {
                locate(f, scores[i].map, batch, i, values);
            }
            if (sampleEvery > 0 && frames++ % sampleEvery == 0) {
                f.pixels = Arrays.copyOfRange(batch.pixels, i * values, (i + 1) * values);
            }
            out[i] = f;
        }
        framesScored.inc(n);
        batchSize.update(n);
        inferenceTimeMicros.update(micros);
        return new ScoredBatch(out);
    }

    /**
     * The frame's region and peak in its own pixels, and its PNG where the job renders them. Only a frame with a
     * region pays for a picture, so most frames cost the region's search alone.
     */
    private void locate(ScoredFrame f, AnomalyMap map, FrameBatch batch, int i, int values) {
        boolean alerted = f.score > served.threshold;
        int[] region = map.region(alerted);
        if (region == null) {
            return; // no area above the threshold: neither region nor peak
        }
        int size = map.size();
        // a frame of unknown size (0) is given in the model's grid
        int width = batch.widths == null || batch.widths[i] <= 0 ? size : batch.widths[i];
        int height = batch.heights == null || batch.heights[i] <= 0 ? size : batch.heights[i];
        f.region = AnomalyMap.toFrame(region, size, width, height);
        f.peak = AnomalyMap.pointToFrame(map.peak(), size, width, height);
        if (mapPngMaxBytes > 0) {
            float[] pixels = Arrays.copyOfRange(batch.pixels, i * values, (i + 1) * values);
            f.anomalyMapPng = MapOverlay.png(pixels, values / (size * size), size, map.values(), map.regionLevel(alerted), region, mapPngMaxBytes);
        }
    }

    void close() {
        serve(null);
    }
}
