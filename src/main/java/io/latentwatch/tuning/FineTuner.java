package io.latentwatch.tuning;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.tracker.Tracker;
import io.latentwatch.model.Devices;
import io.latentwatch.model.DipVae;
import io.latentwatch.model.DipVaeWeights;
import io.latentwatch.model.EngineArrays;
import io.latentwatch.model.ModelDirectory;
import io.latentwatch.model.ModelFormatException;
import io.latentwatch.training.DipVaeTrainer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CancellationException;

/**
 * Fine-tunes a copy of the serving model on recent normal frames: the serving weights (BatchNorm running statistics
 * and counters included) are copied through the host into a fresh network on the fine-tuner's own device, then K
 * Adam steps run with the full DIP loss ({@link DipVaeTrainer}, train mode), each on a batch drawn at random
 * (seeded, without replacement within a batch) from the frames. Adam starts fresh every time. The serving model's
 * arrays are only read, once, to copy them.
 *
 * <p>A step whose loss is not finite ends the run early ({@link FineTuneResult#diverged()}); the candidate is
 * returned as it is, for the {@link ValidationGate} to refuse with its reason. An interrupted thread stops the run
 * before its next step ({@link CancellationException}). Immutable; each call builds its own
 * network and manager, so one tuner may serve several threads, though the engine's random seed is process-wide.
 */
public final class FineTuner implements java.io.Serializable {

    private static final long serialVersionUID = 1L;
    /** Steps between reads of the loss (a read waits for the device): how late a divergence is noticed. */
    private static final int CHECK_EVERY = 8;

    private final int steps;
    private final int batchSize;
    private final float learningRate;
    private final long seed;
    private final String device;

    private FineTuner(Builder b) {
        this.steps = b.steps;
        this.batchSize = b.batchSize;
        this.learningRate = b.learningRate;
        this.seed = b.seed;
        this.device = b.device;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The same tuner with another seed (the job's rounds each draw their own batches). */
    public FineTuner withSeed(long seed) {
        return builder().optSteps(steps).optBatchSize(batchSize).optLearningRate(learningRate).optDevice(device).optSeed(seed).build();
    }

    /**
     * Fine-tunes a copy of a loaded model.
     *
     * @param serving the model the scorers serve; read only
     * @param frames normalised frames, in_channels × image_size × image_size values each (at least 2)
     * @return the candidate on this tuner's device; the caller closes it
     * @throws IllegalArgumentException if there are fewer than 2 frames, a frame has the wrong size, or the serving
     *     model's weights cannot be copied (not finite)
     * @throws CancellationException if the thread is interrupted; the run stops before its next step, its arrays
     *     are closed, and the thread's interrupt flag stays set
     */
    public FineTuneResult fineTune(DipVae serving, List<float[]> frames) {
        int fv = serving.getConfig().frameValues();
        if (frames.size() < 2) {
            throw new IllegalArgumentException("fine-tuning needs at least 2 frames (a DIP batch), got " + frames.size());
        }
        for (int i = 0; i < frames.size(); i++) {
            if (frames.get(i).length != fv) {
                throw new IllegalArgumentException("frame " + i + " has " + frames.get(i).length + " values, the model takes " + fv);
            }
        }
        Device dev = Devices.resolve(device, 0);
        NDManager manager = NDManager.newBaseManager(dev);
        try {
            DipVae candidate = new DipVae(serving.getConfig()).initialize(manager);
            try {
                DipVaeWeights.load(candidate, DipVaeWeights.export(serving), "serving model");
            } catch (ModelFormatException e) {
                throw new IllegalArgumentException("cannot fine-tune from the serving model: " + e.getMessage(), e);
            }
            Engine.getInstance().setRandomSeed((int) seed); // the reparameterisation noise
            DipVaeTrainer trainer = new DipVaeTrainer(candidate, manager, Tracker.fixed(learningRate));
            int batch = Math.min(batchSize, frames.size());
            long t0 = System.nanoTime();
            // frames and the round's batch draws go to the device once: the steps then never wait on the host
            NDArray all = upload(manager, frames, candidate);
            NDArray draws = EngineArrays.copyOf(manager, batchDraws(frames.size(), batch, steps, new Random(seed)), new Shape(steps, batch));
            DipVaeTrainer.StepLoss first = null;
            DipVaeTrainer.StepLoss last = null;
            int done = 0;
            while (done < steps) {
                if (Thread.currentThread().isInterrupted()) { // a cancelled job: stop now, not K steps later
                    throw new CancellationException("fine-tune interrupted after " + done + " of " + steps + " steps");
                }
                try (NDManager step = manager.newSubManager()) {
                    NDArray pick = draws.get(done);
                    pick.attach(step);
                    NDArray x = all.get(pick);
                    x.attach(step);
                    trainer.run(x);
                }
                done++;
                if (done == 1) {
                    first = trainer.lastLoss();
                    last = first;
                    if (!Double.isFinite(first.total)) {
                        break;
                    }
                } else if (done == steps || done % CHECK_EVERY == 0) {
                    boolean finite = Double.isFinite(trainer.meanLoss().total);
                    last = trainer.lastLoss();
                    if (!finite) {
                        break;
                    }
                }
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            return new FineTuneResult(manager, candidate, done, steps, batch, learningRate, seed, frames.size(), first, last, seconds);
        } catch (RuntimeException | Error e) {
            manager.close();
            throw e;
        }
    }

    /**
     * Fine-tunes a copy of the model in a directory (read and checked with {@link ModelDirectory#read}, on the
     * CPU, and closed again).
     *
     * @throws ModelFormatException if the directory is refused
     */
    public FineTuneResult fineTune(Path servingDirectory, List<float[]> frames) throws IOException {
        try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            return fineTune(ModelDirectory.read(servingDirectory, manager).model, frames);
        }
    }

    /**
     * The frame indices of every step, row by row: each row a partial Fisher-Yates shuffle of the same order, so a
     * batch never holds a frame twice.
     */
    static long[] batchDraws(int frames, int batch, int steps, Random rng) {
        int[] order = new int[frames];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        long[] draws = new long[steps * batch];
        for (int s = 0; s < steps; s++) {
            for (int b = 0; b < batch; b++) {
                int j = b + rng.nextInt(order.length - b);
                int t = order[b];
                order[b] = order[j];
                order[j] = t;
                draws[s * batch + b] = order[b];
            }
        }
        return draws;
    }

    /** The frames as one (n, C, H, W) array on the manager's device, staged a chunk at a time (bounded host memory). */
    private static NDArray upload(NDManager manager, List<float[]> frames, DipVae model) {
        int fv = model.getConfig().frameValues();
        int chunk = Math.max(1, (4 << 20) / (fv * Float.BYTES)); // about 4 MiB of direct memory at a time
        NDList parts = new NDList();
        try (NDManager staging = manager.newSubManager()) {
            for (int from = 0; from < frames.size(); from += chunk) {
                int n = Math.min(chunk, frames.size() - from);
                float[] values = new float[n * fv];
                for (int i = 0; i < n; i++) {
                    System.arraycopy(frames.get(from + i), 0, values, i * fv, fv);
                }
                parts.add(EngineArrays.copyOf(staging, values, model.inputShape(n)));
            }
            NDArray all = parts.size() == 1 ? parts.get(0).duplicate() : NDArrays.concat(parts);
            all.attach(manager);
            return all;
        }
    }

    public int steps() {
        return steps;
    }

    public int batchSize() {
        return batchSize;
    }

    public float learningRate() {
        return learningRate;
    }

    public long seed() {
        return seed;
    }

    public String device() {
        return device;
    }

    /** Settings of a fine-tune; every one has a default. */
    public static final class Builder {
        private int steps = 50;
        private int batchSize = 32;
        private float learningRate = 1e-4f;
        private long seed = 0;
        private String device = "auto";

        private Builder() {}

        /** Adam steps per fine-tune, K (default 50). */
        public Builder optSteps(int steps) {
            this.steps = steps;
            return this;
        }

        /** Frames per step, at least 2 (default 32; fewer when fewer frames are given). */
        public Builder optBatchSize(int batchSize) {
            this.batchSize = batchSize;
            return this;
        }

        /** Adam's step size, constant over the run (default 1e-4: a tenth of training's usual 1e-3). */
        public Builder optLearningRate(float learningRate) {
            this.learningRate = learningRate;
            return this;
        }

        /** Seed of the batch draws and the reparameterisation noise (default 0). */
        public Builder optSeed(long seed) {
            this.seed = seed;
            return this;
        }

        /** "auto", "cpu", "gpu" or "gpu:N" ({@link Devices#resolve}); default auto. */
        public Builder optDevice(String device) {
            this.device = device;
            return this;
        }

        public FineTuner build() {
            if (steps < 1) {
                throw new IllegalArgumentException("fine-tune steps must be at least 1, got " + steps);
            }
            if (batchSize < 2) {
                throw new IllegalArgumentException("fine-tune batch size must be at least 2 (the DIP term needs a covariance), got " + batchSize);
            }
            if (!(learningRate > 0) || Float.isInfinite(learningRate)) {
                throw new IllegalArgumentException("fine-tune learning rate must be positive and finite, got " + learningRate);
            }
            Devices.resolve(device, 0); // refuses an unknown device now, not at the first fine-tune
            return new FineTuner(this);
        }
    }
}
