package io.latentwatch.tuning;

import io.latentwatch.registry.ModelRegistry;
import java.io.Serializable;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;

/**
 * What the job's fine-tuner operator needs, shipped to the task manager: the registry, when a round runs (every
 * {@code interval} or {@code frames} sampled frames), how many first samples form the reference set, and the
 * configured parts themselves — the {@link FineTuner}, the {@link ValidationGate} and an empty
 * {@link NormalFrameReservoir} (as its snapshot). Immutable; {@link Builder#build()} checks the schedule.
 */
public final class FineTuneSettings implements Serializable {

    private static final long serialVersionUID = 1L;

    private final String registry;
    private final int keepLast;
    public final Duration interval;
    public final int frames;
    public final int referenceFrames;
    private final FineTuner tuner;
    private final ValidationGate gate;
    /** The empty reservoir's snapshot: {@link NormalFrameReservoir} itself is not Serializable, its settings are in here. */
    private final byte[] emptyReservoir;

    private FineTuneSettings(Builder b) {
        registry = b.registry;
        keepLast = b.keepLast;
        interval = b.interval;
        frames = b.frames;
        referenceFrames = b.referenceFrames;
        tuner = b.tuner;
        gate = b.gate;
        emptyReservoir = b.reservoir.snapshot();
    }

    public static Builder builder() {
        return new Builder();
    }

    public Path registryPath() {
        return Paths.get(registry);
    }

    public ModelRegistry registry() {
        return ModelRegistry.builder().setRoot(registryPath()).optKeepLast(keepLast).build();
    }

    public FineTuner tuner() {
        return tuner;
    }

    public ValidationGate gate() {
        return gate;
    }

    public NormalFrameReservoir newReservoir() {
        return NormalFrameReservoir.restore(emptyReservoir);
    }

    /** Settings of the fine-tuner operator; registry, tuner, gate and reservoir are required. */
    public static final class Builder {
        private String registry;
        private int keepLast = 10;
        private Duration interval = Duration.ofMinutes(10);
        private int frames = 1000;
        private int referenceFrames = 128;
        private FineTuner tuner;
        private ValidationGate gate;
        private NormalFrameReservoir reservoir;

        private Builder() {}

        /** The registry directory, shared by every task manager (required). */
        public Builder setRegistry(String registry) {
            this.registry = registry;
            return this;
        }

        /** How each round fine-tunes (required); round r runs with seed + r. */
        public Builder setTuner(FineTuner tuner) {
            this.tuner = tuner;
            return this;
        }

        /** How each candidate is judged (required). */
        public Builder setGate(ValidationGate gate) {
            this.gate = gate;
            return this;
        }

        /** An empty reservoir with the sampling settings to use (required). */
        public Builder setReservoir(NormalFrameReservoir reservoir) {
            this.reservoir = reservoir;
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

        /** Normal frames stored once as the gate's fixed reference set, before the first round (R). */
        public Builder optReferenceFrames(int frames) {
            this.referenceFrames = frames;
            return this;
        }

        /** @throws IllegalArgumentException naming the setting that is missing or out of range */
        public FineTuneSettings build() {
            check(registry != null && !registry.isBlank(), "registry directory must be set");
            check(tuner != null && gate != null && reservoir != null, "fine-tuner, gate and reservoir must be set");
            check(reservoir.offered() == 0, "the reservoir must be empty, it has seen " + reservoir.offered() + " frames");
            check(keepLast >= 1, "keep-last must be at least 1, got " + keepLast);
            check(interval != null && !interval.isNegative() && !interval.isZero(), "interval must be positive, got " + interval);
            check(frames >= 1, "frames per round must be at least 1, got " + frames);
            check(referenceFrames >= 1, "reference frames must be at least 1, got " + referenceFrames);
            return new FineTuneSettings(this);
        }

        private static void check(boolean ok, String message) {
            if (!ok) {
                throw new IllegalArgumentException(message);
            }
        }
    }
}
