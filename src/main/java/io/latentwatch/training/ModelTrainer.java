package io.latentwatch.training;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.tracker.Tracker;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.latentwatch.data.ImageDataset;
import io.latentwatch.model.Devices;
import io.latentwatch.model.DipVae;
import io.latentwatch.model.DipVaeConfig;
import io.latentwatch.model.EngineArrays;
import io.latentwatch.model.MemoryLayout;
import io.latentwatch.model.ModelMetadata;
import io.latentwatch.scoring.AnomalyScore;
import io.latentwatch.scoring.BatchScorer;
import io.latentwatch.scoring.FrameScore;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Random;

/**
 * Trains a DIP-VAE from scratch on normal frames, calibrates its threshold and writes the model directory: what
 * {@code latentwatch train} and the benchmarks run, and what the streaming demo calls to get its first model.
 *
 * <ol>
 *   <li>The frames are normalised once into memory ({@link NormalisedFrames}); unreadable items are skipped and
 *       counted.
 *   <li>Each epoch shuffles the training frames (seeded) and takes one Adam step per full batch (a last partial
 *       batch is dropped, so every DIP covariance is over the same number of frames) on the full DIP loss, with a
 *       cosine learning-rate schedule. The validation mse is measured after each epoch.
 *   <li>{@link Calibrator} fits the latent statistics on the training frames and sets the threshold from the
 *       validation frames' scores.
 *   <li>The model directory gets model.json (version 1, calibration, training summary), the weights and, unless
 *       turned off, reconstructions.png and samples.png.
 * </ol>
 */
public final class ModelTrainer {

    /** Host memory staged per upload of training batches. */
    private static final int UPLOAD_BYTES = 8 << 20;
    /** At most this many steps between loss reads (progress and the divergence check). */
    private static final int MAX_STEPS_PER_UPLOAD = 16;

    private ModelTrainer() {}

    /** Steps whose batches go to the device in one copy: about {@link #UPLOAD_BYTES} of frames, 1 to 16 steps. */
    static int stepsPerUpload(int batch, int frameValues) {
        long perStep = (long) batch * frameValues * Float.BYTES;
        return (int) Math.max(1, Math.min(MAX_STEPS_PER_UPLOAD, UPLOAD_BYTES / perStep));
    }

    /**
     * Trains on one dataset, holding out {@link TrainingOptions#validationFraction()} of it (a seeded random split)
     * for validation and calibration, and writes the model directory.
     */
    public static ModelMetadata train(TrainingOptions options, ImageDataset data, Path out, ProgressListener progress) throws IOException {
        return train(options, data, null, out, progress);
    }

    /**
     * Trains on {@code train}, calibrates on {@code validation} (normal frames not trained on; null to split
     * {@code train}), and writes the model directory {@code out}.
     *
     * @return the metadata as written (with the weights' sha256)
     * @throws IllegalArgumentException if the options do not fit the data (too few readable images, a bad size)
     * @throws IllegalStateException if training diverges (a loss that is not finite)
     */
    public static ModelMetadata train(TrainingOptions options, ImageDataset train, ImageDataset validation, Path out,
            ProgressListener progress) throws IOException {
        try (TrainedModel model = fit(options, train, validation, progress)) {
            ModelMetadata written = model.write(out);
            progress.message("wrote model " + out + " (sha256 " + written.sha256().substring(0, 12) + "...)");
            return written;
        }
    }

    /** As {@link #train(TrainingOptions, ImageDataset, ImageDataset, Path, ProgressListener)}, but keeps the model in memory. */
    public static TrainedModel fit(TrainingOptions options, ImageDataset train, ImageDataset validation, ProgressListener progress) {
        DipVaeConfig config = options.resolveConfig(train.channels(), train.imageSize());
        int c = config.inChannels();
        int size = config.imageSize();
        progress.message(String.format(Locale.ROOT, "loading %s as %dx%dx%d frames", train.description(), c, size, size));
        NormalisedFrames trainFrames = NormalisedFrames.load(train, c, size);
        NormalisedFrames validationFrames;
        if (validation == null) {
            NormalisedFrames[] split = trainFrames.split(options.validationFraction(), options.seed());
            trainFrames = split[0];
            validationFrames = split[1];
        } else {
            progress.message("loading validation " + validation.description());
            validationFrames = NormalisedFrames.load(validation, c, size);
        }
        int skipped = trainFrames.skipped().size() + validationFrames.skipped().size();
        if (skipped > 0) {
            String first = !trainFrames.skipped().isEmpty() ? trainFrames.skipped().get(0) : validationFrames.skipped().get(0);
            progress.message("skipped " + skipped + " unreadable image(s), the first " + first);
        }
        String dataset = options.dataSpec() != null ? options.dataSpec() : train.description();
        return fit(options, config, trainFrames, validationFrames, dataset, progress);
    }

    /**
     * Trains and calibrates on frames already in memory.
     *
     * @param config the network; the frames must be its in_channels × image_size × image_size
     * @param dataset what the frames are, for the training summary
     */
    public static TrainedModel fit(TrainingOptions options, DipVaeConfig config, NormalisedFrames train, NormalisedFrames validation,
            String dataset, ProgressListener progress) {
        int fv = config.frameValues();
        if (train.frameValues() != fv || validation.frameValues() != fv) {
            throw new IllegalArgumentException("frames of " + train.frameValues() + " values do not fit a model of "
                    + config.inChannels() + "x" + config.imageSize() + "x" + config.imageSize());
        }
        if (train.count() < 2) {
            throw new IllegalArgumentException("training needs at least 2 frames, got " + train.count());
        }
        if (validation.count() < 1) {
            throw new IllegalArgumentException("calibration needs at least 1 validation frame, got 0");
        }
        Instant started = Instant.now();
        long t0 = System.nanoTime();
        Device device = Devices.resolve(options.device(), 0);
        NDManager manager = NDManager.newBaseManager(device);
        try {
            Engine.getInstance().setRandomSeed((int) options.seed());
            DipVae model = new DipVae(config).initialize(manager);
            int n = train.count();
            int batch = Math.min(options.batchSize(), n);
            int steps = n / batch;
            int totalSteps = steps * options.epochs();
            float lr = options.learningRate();
            Tracker schedule = Tracker.cosine()
                    .setBaseValue(lr)
                    .optFinalValue(lr * TrainingOptions.FINAL_LR_FACTOR)
                    .setMaxUpdates(Math.max(1, totalSteps - 1))
                    .build();
            DipVaeTrainer trainer = new DipVaeTrainer(model, manager, schedule);
            progress.message(String.format(Locale.ROOT, "training %d frames (%d for validation) on %s: %d epochs of %d steps, batch %d, model %s",
                    n, validation.count(), device, options.epochs(), steps, batch, config));
            Random rng = new Random(options.seed());
            int[] order = new int[n];
            for (int i = 0; i < n; i++) {
                order[i] = i;
            }
            int stepsPerUpload = stepsPerUpload(batch, fv);
            float[] uploadValues = new float[stepsPerUpload * batch * fv];
            double trainingSeconds = 0;
            long framesSeen = 0;
            double[] last = new double[5];
            double validationMse = Double.NaN;
            JsonArray history = new JsonArray();
            int globalStep = 0;
            for (int epoch = 1; epoch <= options.epochs(); epoch++) {
                shuffle(order, rng);
                double[] sums = new double[5];
                long epochStart = System.nanoTime();
                // several batches go to the device in one copy and their losses come back in one read: on a GPU each
                // copy or read waits for all queued work, so one per step would leave the card idle between steps
                for (int s0 = 0; s0 < steps; s0 += stepsPerUpload) {
                    int k = Math.min(stepsPerUpload, steps - s0);
                    for (int i = 0; i < k * batch; i++) {
                        train.copyFrame(order[s0 * batch + i], uploadValues, i * fv);
                    }
                    try (NDManager upload = manager.newSubManager()) {
                        NDArray frames = EngineArrays.copyOf(upload, FloatBuffer.wrap(uploadValues, 0, k * batch * fv),
                                model.inputShape((long) k * batch));
                        for (int j = 0; j < k; j++) {
                            trainer.run(frames.get(new NDIndex("{}:{}", j * batch, (j + 1) * batch)));
                        }
                    }
                    globalStep += k;
                    DipVaeTrainer.StepLoss loss = trainer.meanLoss();
                    if (!Double.isFinite(loss.total)) {
                        throw new IllegalStateException(String.format(Locale.ROOT,
                                "training diverged at epoch %d, by step %d (loss %s); try a lower learning rate than %s", epoch, s0 + k, loss.total, lr));
                    }
                    sums[0] += loss.recons * k;
                    sums[1] += loss.kld * k;
                    sums[2] += loss.offDiagonal * k;
                    sums[3] += loss.diagonal * k;
                    sums[4] += loss.total * k;
                    framesSeen += (long) k * batch;
                    double elapsed = trainingSeconds + (System.nanoTime() - epochStart) / 1e9;
                    progress.step(progress(epoch, options.epochs(), s0 + k, steps, sums, s0 + k, schedule.getNewValue(globalStep),
                            framesSeen / elapsed, (System.nanoTime() - t0) / 1e9, Double.NaN));
                }
                trainingSeconds += (System.nanoTime() - epochStart) / 1e9;
                for (int k = 0; k < 5; k++) {
                    last[k] = sums[k] / steps;
                }
                validationMse = validationMse(model, device, validation);
                TrainingProgress p = progress(epoch, options.epochs(), steps, steps, sums, steps, schedule.getNewValue(globalStep),
                        framesSeen / trainingSeconds, (System.nanoTime() - t0) / 1e9, validationMse);
                progress.epoch(p);
                JsonObject h = lossJson(last);
                h.addProperty("epoch", epoch);
                h.addProperty("validation_mse", validationMse);
                history.add(h);
            }
            progress.message("calibrating " + options.scoreName() + " at a " + options.falseAlarmRate() * 100 + " % false-alarm rate on "
                    + validation.count() + " validation frames");
            Calibrator.Result calibration = Calibrator.calibrate(model, device, train, validation, options.scoreName(), options.falseAlarmRate(),
                    options.maps());
            JsonObject summary = new JsonObject();
            summary.addProperty("source", "latentwatch train");
            summary.addProperty("dataset", dataset);
            summary.addProperty("train_frames", n);
            summary.addProperty("validation_frames", validation.count());
            summary.addProperty("skipped_images", train.skipped().size() + validation.skipped().size());
            summary.addProperty("epochs", options.epochs());
            summary.addProperty("steps", totalSteps);
            summary.addProperty("batch_size", batch);
            summary.addProperty("optimizer", "adam");
            JsonObject lrJson = new JsonObject();
            lrJson.addProperty("schedule", "cosine");
            lrJson.addProperty("initial", lr);
            lrJson.addProperty("final", lr * TrainingOptions.FINAL_LR_FACTOR);
            summary.add("learning_rate", lrJson);
            summary.addProperty("seed", options.seed());
            summary.addProperty("device", device.toString());
            summary.add("final_loss", lossJson(last));
            summary.addProperty("validation_mse", validationMse);
            summary.addProperty("frames_per_second", Math.round(framesSeen / trainingSeconds * 10) / 10.0);
            summary.addProperty("training_seconds", Math.round(trainingSeconds * 10) / 10.0);
            summary.addProperty("duration_seconds", Math.round((System.nanoTime() - t0) / 1e8) / 10.0);
            summary.addProperty("started_at", started.toString());
            summary.add("history", history);
            ModelMetadata metadata = new ModelMetadata(1, null, Instant.now(), config, calibration.json(), summary, null);
            progress.message(String.format(Locale.ROOT, "calibrated %s: threshold %.6g (%.2f %% of validation frames above it); %s in %s",
                    calibration.score().name(), calibration.threshold(),
                    calibration.json().get("validation_false_alarm_rate").getAsDouble() * 100, "trained",
                    format(Duration.ofNanos(System.nanoTime() - t0))));
            return new TrainedModel(manager, model, metadata, calibration.score(), calibration.maps(), validation, options.seed(),
                    options.writeImages());
        } catch (RuntimeException | Error e) {
            manager.close();
            throw e;
        }
    }

    private static TrainingProgress progress(int epoch, int epochs, int step, int steps, double[] sums, int count, double lr,
            double fps, double elapsed, double validationMse) {
        return new TrainingProgress(epoch, epochs, step, steps, sums[0] / count, sums[1] / count, sums[2] / count, sums[3] / count,
                sums[4] / count, lr, fps, elapsed, validationMse);
    }

    private static JsonObject lossJson(double[] terms) {
        JsonObject o = new JsonObject();
        o.addProperty("total", terms[4]);
        o.addProperty("recons", terms[0]);
        o.addProperty("kld", terms[1]);
        o.addProperty("dip_offdiag", terms[2]);
        o.addProperty("dip_diag", terms[3]);
        return o;
    }

    /** Mean per-pixel mse of decode(μ) over the frames, in eval mode. */
    static double validationMse(DipVae model, Device device, NormalisedFrames frames) {
        try (BatchScorer scorer = new BatchScorer(model, device, DataType.FLOAT32, MemoryLayout.NHWC, AnomalyScore.mse())) {
            double sum = 0;
            for (FrameScore s : Calibrator.scoreAll(scorer, frames)) {
                sum += s.mse;
            }
            return sum / frames.count();
        }
    }

    private static void shuffle(int[] a, Random rng) {
        for (int i = a.length - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }

    static String format(Duration d) {
        long s = d.getSeconds();
        return s >= 60 ? String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60) : String.format(Locale.ROOT, "%.1fs", d.toMillis() / 1000.0);
    }
}
