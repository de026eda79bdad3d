package io.latentwatch.training;

import io.latentwatch.model.Devices;
import java.io.Serializable;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;

/**
 * Everything the job's fine-tuner operator needs to build its parts on the task manager: the registry, when a round
 * runs (every {@code interval} or {@code frames} sampled frames), the fine-tune (K Adam steps), the gate and the
 * reservoir. Serializable and immutable; {@link Builder#build()} checks every value.
 */
public final class FineTuneSettings implements Serializable {

    private static final long serialVersionUID = 1L;

    final String registry;
    final int keepLast;
    final Duration interval;
    final int frames;
    final int steps;
    final int batchSize;
    final float learningRate;
    final String device;
    final int reservoirCapacity;
    final int heldOutCapacity;
    final int heldOutEvery;
    final long horizon;
    final int referenceFrames;
    final double tolerance;
    final double referenceTolerance;
    final int minHeldOutFrames;
    final int frameValues;
    final long seed;

    private FineTuneSettings(Builder b) {
        registry = b.registry;
        keepLast = b.keepLast;
        interval = b.interval;
        frames = b.frames;
        steps = b.steps;
        batchSize = b.batchSize;
        learningRate = b.learningRate;
        device = b.device;
        reservoirCapacity = b.reservoirCapacity;
        heldOutCapacity = b.heldOutCapacity;
        heldOutEvery = b.heldOutEvery;
        horizon = b.horizon;
        referenceFrames = b.referenceFrames;
        tolerance = b.tolerance;
        referenceTolerance = b.referenceTolerance;
        minHeldOutFrames = b.minHeldOutFrames;
        frameValues = b.frameValues;
        seed = b.seed;
    }

    public static Builder builder() {
        return new Builder();
    }

    public Path registryPath() {
        return Paths.get(registry);
    }

    ModelRegistry registry() {
        return ModelRegistry.builder().setRoot(registryPath()).optKeepLast(keepLast).build();
    }

    FineTuner tuner(long roundSeed) {
        return FineTuner.builder().optSteps(steps).optBatchSize(batchSize).optLearningRate(learningRate).optDevice(device)
                .optSeed(roundSeed).build();
    }

    ValidationGate gate() {
        ValidationGate.Builder g = ValidationGate.builder().optTolerance(tolerance).optMinHeldOutFrames(minHeldOutFrames)
                .optDevice(device).optRecalibrator(Calibrator.recalibrator());
        if (!Double.isNaN(referenceTolerance)) {
            g.optReferenceTolerance(referenceTolerance);
        }
        return g.build();
    }

    NormalFrameReservoir newReservoir() {
        return NormalFrameReservoir.builder().setFrameValues(frameValues).optCapacity(reservoirCapacity)
                .optHeldOutCapacity(heldOutCapacity).optHeldOutEvery(heldOutEvery).optHorizon(horizon).optSeed(seed).build();
    }

    /** Settings of the fine-tuner; the registry and the frame size are required, the rest have defaults. */
    public static final class Builder {
        private String registry;
        private int keepLast = 10;
        private Duration interval = Duration.ofMinutes(10);
        private int frames = 1000;
        private int steps = 50;
        private int batchSize = 32;
        private float learningRate = 1e-4f;
        private String device = "auto";
        private int reservoirCapacity = 1024;
        private int heldOutCapacity = 256;
        private int heldOutEvery = 5;
        private long horizon = Long.MAX_VALUE;
        private int referenceFrames = 128;
        private double tolerance = 0.05;
        private double referenceTolerance = Double.NaN;
        private int minHeldOutFrames = 50;
        private int frameValues;
        private long seed;

        private Builder() {}

        /** The registry directory, shared by every task manager (required). */
        public Builder setRegistry(String registry) {
            this.registry = registry;
            return this;
        }

        /** Values of one normalised frame, in_channels × image_size² of the model (required). */
        public Builder setFrameValues(int frameValues) {
            this.frameValues = frameValues;
            return this;
        }

        /** Versions the registry keeps (default 10). */
        public Builder optKeepLast(int keepLast) {
            this.keepLast = keepLast;
            return this;
        }

        /** A round runs at the latest this long after the previous one, if any frame was sampled since (T). */
        public Builder optInterval(Duration interval) {
            this.interval = interval;
            return this;
        }

        /** A round runs as soon as this many frames were sampled since the previous one (N). */
        public Builder optFrames(int frames) {
            this.frames = frames;
            return this;
        }

        /** Adam steps of a round (K). */
        public Builder optSteps(int steps) {
            this.steps = steps;
            return this;
        }

        public Builder optBatchSize(int batchSize) {
            this.batchSize = batchSize;
            return this;
        }

        public Builder optLearningRate(float learningRate) {
            this.learningRate = learningRate;
            return this;
        }

        /** The fine-tuner's own device: auto | cpu | gpu | gpu:N. */
        public Builder optDevice(String device) {
            this.device = device;
            return this;
        }

        public Builder optReservoirCapacity(int capacity) {
            this.reservoirCapacity = capacity;
            return this;
        }

        public Builder optHeldOutCapacity(int capacity) {
            this.heldOutCapacity = capacity;
            return this;
        }

        public Builder optHeldOutEvery(int k) {
            this.heldOutEvery = k;
            return this;
        }

        /** Weights the reservoir towards the last this many sampled frames (default: uniform over all). */
        public Builder optHorizon(long frames) {
            this.horizon = frames;
            return this;
        }

        /** Normal frames stored once as the gate's fixed reference set, before the first round (R). */
        public Builder optReferenceFrames(int frames) {
            this.referenceFrames = frames;
            return this;
        }

        public Builder optTolerance(double tolerance) {
            this.tolerance = tolerance;
            return this;
        }

        /** The reference set's tolerance (default: the held-out one). */
        public Builder optReferenceTolerance(double tolerance) {
            this.referenceTolerance = tolerance;
            return this;
        }

        public Builder optMinHeldOutFrames(int frames) {
            this.minHeldOutFrames = frames;
            return this;
        }

        /** Seed of the reservoir's sampling and the rounds' batch draws (default 0). */
        public Builder optSeed(long seed) {
            this.seed = seed;
            return this;
        }

        /** @throws IllegalArgumentException naming the setting that is out of range */
        public FineTuneSettings build() {
            check(registry != null && !registry.isBlank(), "registry directory must be set");
            check(interval != null && !interval.isNegative() && !interval.isZero(), "interval must be positive, got " + interval);
            check(frames >= 1, "frames per round must be at least 1, got " + frames);
            check(referenceFrames >= 1, "reference frames must be at least 1, got " + referenceFrames);
            // the parts check the rest, with their own messages
            FineTuneSettings s = new FineTuneSettings(this);
            s.tuner(seed);
            s.gate();
            NormalFrameReservoir.Builder.check(frameValues, reservoirCapacity, heldOutCapacity, heldOutEvery, horizon);
            check(keepLast >= 1, "keep-last must be at least 1, got " + keepLast);
            Devices.resolve(device, 0);
            return s;
        }

        private static void check(boolean ok, String message) {
            if (!ok) {
                throw new IllegalArgumentException(message);
            }
        }
    }
}
