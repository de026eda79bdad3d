package io.latentwatch.tuning;

import io.latentwatch.frames.ImageFrames;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * A bounded random sample of the normal frames seen so far, for fine-tuning: Vitter's Algorithm R, seeded, with a
 * held-out part for validation. Every {@code heldOutEvery}-th offered frame goes to the held-out stream, every other
 * frame to the training stream, and each stream keeps its own sample, so the two parts never share a frame.
 *
 * <p>Without a horizon each part is a uniform sample of everything its stream has seen. With a horizon H (at least
 * the part's capacity k), a stream that has seen more than H frames counts itself as having seen H: each new frame
 * then enters with probability k/H and evicts a uniformly chosen one, so the sample is weighted towards the last few
 * H frames (an item's survival halves about every 0.7·H frames), which is what a drifting camera needs.
 *
 * <p>The state is a few counters, the random generator's state (one long) and the frames, and round-trips through
 * {@link #snapshot()} and {@link #restore(byte[])}: a Flink operator keeps the bytes in its operator state (whole at
 * every checkpoint, so frames of 8-bit pixels are kept as their pixels: a quarter of the bytes), and a restored
 * reservoir continues exactly as the original would have. Frames are copied on the way in and never
 * written afterwards, so the lists returned by {@link #trainingFrames()} and {@link #heldOutFrames()} stay valid
 * (as snapshots) while more frames are offered. Values are not inspected: the validation gate is what refuses a
 * model trained on a bad frame. Not thread-safe.
 */
public final class NormalFrameReservoir {

    /** "LWRS": latentwatch reservoir snapshot. */
    private static final int MAGIC = 0x4C575253;
    /** 2: a tag per frame, 8-bit frames in one byte a value; 1 (still read): every value as a float. */
    private static final int FORMAT = 2;
    private static final byte FLOAT_FRAME = 0;
    private static final byte EIGHT_BIT_FRAME = 1;
    /** Bytes of a snapshot's header: six ints of settings, five longs of state, two ints of frame counts. */
    private static final int HEADER_BYTES = 6 * 4 + 5 * 8 + 2 * 4;

    private final int frameValues;
    private final int capacity;
    private final int heldOutCapacity;
    private final int heldOutEvery;
    /** Long.MAX_VALUE when the sample is uniform over everything seen. */
    private final long horizon;
    private final float[][] training;
    private final float[][] heldOut;
    private long offered;
    private long trainingSeen;
    private long heldOutSeen;
    private long rngState;

    private NormalFrameReservoir(int frameValues, int capacity, int heldOutCapacity, int heldOutEvery, long horizon, long rngState) {
        this.frameValues = frameValues;
        this.capacity = capacity;
        this.heldOutCapacity = heldOutCapacity;
        this.heldOutEvery = heldOutEvery;
        this.horizon = horizon;
        this.training = new float[capacity][];
        this.heldOut = new float[heldOutCapacity][];
        this.rngState = rngState;
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Offers one normalised frame (in_channels × image_size × image_size values in [−1, 1]); it is copied if kept.
     *
     * @return whether the frame entered the sample (training or held-out part)
     * @throws IllegalArgumentException if the frame does not have {@link #frameValues()} values
     */
    public boolean offer(float[] frame) {
        if (frame == null || frame.length != frameValues) {
            throw new IllegalArgumentException("a frame of this reservoir has " + frameValues + " values, got "
                    + (frame == null ? "null" : frame.length));
        }
        boolean toHeldOut = offered % heldOutEvery == heldOutEvery - 1;
        offered++;
        if (toHeldOut) {
            int slot = slot(heldOutSeen, heldOutCapacity);
            heldOutSeen++;
            return keep(heldOut, slot, frame);
        }
        int slot = slot(trainingSeen, capacity);
        trainingSeen++;
        return keep(training, slot, frame);
    }

    /** Algorithm R: the slot the (seen+1)-th frame of a stream takes, or −1 if it is not kept. */
    private int slot(long seen, int k) {
        if (seen < k) {
            return (int) seen;
        }
        long j = nextLong(Math.min(seen, horizon) + 1); // uniform in [0, n]
        return j < k ? (int) j : -1;
    }

    private static boolean keep(float[][] part, int slot, float[] frame) {
        if (slot < 0) {
            return false;
        }
        part[slot] = frame.clone();
        return true;
    }

    /** SplitMix64: one long of state, so a snapshot holds the generator exactly. */
    private long nextRaw() {
        long z = (rngState += 0x9E3779B97F4A7C15L);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** Uniform in [0, bound), without modulo bias. */
    private long nextLong(long bound) {
        long bits;
        long value;
        do {
            bits = nextRaw() >>> 1;
            value = bits % bound;
        } while (bits - value + (bound - 1) < 0);
        return value;
    }

    /** The training part: up to {@link #capacity()} frames, in no particular order. A snapshot; do not modify the arrays. */
    public List<float[]> trainingFrames() {
        return Collections.unmodifiableList(Arrays.asList(Arrays.copyOf(training, trainingSize())));
    }

    /** The held-out part: up to {@link #heldOutCapacity()} frames. A snapshot; do not modify the arrays. */
    public List<float[]> heldOutFrames() {
        return Collections.unmodifiableList(Arrays.asList(Arrays.copyOf(heldOut, heldOutSize())));
    }

    public int trainingSize() {
        return (int) Math.min(trainingSeen, capacity);
    }

    public int heldOutSize() {
        return (int) Math.min(heldOutSeen, heldOutCapacity);
    }

    /** Frames offered since the reservoir was built (restores included). */
    public long offered() {
        return offered;
    }

    public int frameValues() {
        return frameValues;
    }

    public int capacity() {
        return capacity;
    }

    public int heldOutCapacity() {
        return heldOutCapacity;
    }

    public int heldOutEvery() {
        return heldOutEvery;
    }

    /** The horizon in frames per stream, or {@link Long#MAX_VALUE} for a sample uniform over everything seen. */
    public long horizon() {
        return horizon;
    }

    /**
     * The whole state as bytes (settings, counters, generator, frames). A frame of 8-bit pixels, every value
     * p / 255 × 2 − 1 as {@link ImageFrames#normalised(float)} makes it, takes one byte a value (its pixels); any
     * other frame (resized, luma, not finite) four, so the round trip is exact either way.
     *
     * @throws IllegalStateException if the frames do not fit one byte array (2 GiB)
     */
    public byte[] snapshot() {
        int nt = trainingSize();
        int nh = heldOutSize();
        boolean[] eightBit = new boolean[nt + nh];
        long bytes = HEADER_BYTES;
        for (int i = 0; i < nt + nh; i++) {
            eightBit[i] = eightBit(frame(i, nt));
            bytes += 1 + (long) frameValues * (eightBit[i] ? 1 : Float.BYTES);
        }
        if (bytes > Integer.MAX_VALUE - 16) {
            throw new IllegalStateException("a reservoir of " + (nt + nh) + " frames of " + frameValues
                    + " values does not fit one snapshot (2 GiB); lower its capacity");
        }
        ByteBuffer b = ByteBuffer.allocate((int) bytes);
        b.putInt(MAGIC).putInt(FORMAT).putInt(frameValues).putInt(capacity).putInt(heldOutCapacity).putInt(heldOutEvery);
        b.putLong(horizon).putLong(offered).putLong(trainingSeen).putLong(heldOutSeen).putLong(rngState);
        b.putInt(nt).putInt(nh);
        for (int i = 0; i < nt + nh; i++) {
            float[] f = frame(i, nt);
            if (eightBit[i]) {
                b.put(EIGHT_BIT_FRAME);
                for (float v : f) {
                    b.put((byte) ImageFrames.level(v));
                }
            } else {
                b.put(FLOAT_FRAME);
                b.asFloatBuffer().put(f);
                b.position(b.position() + Float.BYTES * frameValues);
            }
        }
        return b.array();
    }

    /** Training frames first, then held-out ones. */
    private float[] frame(int i, int trainingCount) {
        return i < trainingCount ? training[i] : heldOut[i - trainingCount];
    }

    /** Whether every value is exactly the normalised value of an 8-bit pixel, so that the pixels hold it whole. */
    private static boolean eightBit(float[] frame) {
        for (float v : frame) {
            if (ImageFrames.normalised(ImageFrames.level(v)) != v) {
                return false;
            }
        }
        return true;
    }

    /**
     * Rebuilds a reservoir from {@link #snapshot()} bytes.
     *
     * @throws IllegalArgumentException if the bytes are not a reservoir snapshot of this format, or are truncated
     */
    public static NormalFrameReservoir restore(byte[] snapshot) {
        ByteBuffer b = ByteBuffer.wrap(snapshot);
        try {
            if (b.getInt() != MAGIC) {
                throw new IllegalArgumentException("not a reservoir snapshot (bad magic number)");
            }
            int format = b.getInt();
            if (format != FORMAT && format != 1) {
                throw new IllegalArgumentException("reservoir snapshot format " + format + ", this build reads 1 and " + FORMAT);
            }
            int frameValues = b.getInt();
            int capacity = b.getInt();
            int heldOutCapacity = b.getInt();
            int heldOutEvery = b.getInt();
            long horizon = b.getLong();
            Builder.check(frameValues, capacity, heldOutCapacity, heldOutEvery, horizon);
            long offered = b.getLong();
            long trainingSeen = b.getLong();
            long heldOutSeen = b.getLong();
            NormalFrameReservoir r = new NormalFrameReservoir(frameValues, capacity, heldOutCapacity, heldOutEvery, horizon, b.getLong());
            r.offered = offered;
            r.trainingSeen = trainingSeen;
            r.heldOutSeen = heldOutSeen;
            int nt = b.getInt();
            int nh = b.getInt();
            if (nt != r.trainingSize() || nh != r.heldOutSize() || trainingSeen + heldOutSeen != offered) {
                throw new IllegalArgumentException("reservoir snapshot is inconsistent: " + nt + " + " + nh + " frames stored for "
                        + trainingSeen + " + " + heldOutSeen + " seen of " + offered + " offered");
            }
            readFrames(b, r.training, nt, frameValues, format);
            readFrames(b, r.heldOut, nh, frameValues, format);
            if (b.hasRemaining()) {
                throw new IllegalArgumentException("reservoir snapshot has " + b.remaining() + " unexpected trailing bytes");
            }
            return r;
        } catch (BufferUnderflowException e) {
            throw new IllegalArgumentException("reservoir snapshot is truncated (" + snapshot.length + " bytes)", e);
        }
    }

    private static void readFrames(ByteBuffer b, float[][] part, int count, int frameValues, int format) {
        for (int i = 0; i < count; i++) {
            byte encoding = format == 1 ? FLOAT_FRAME : b.get();
            float[] f = new float[frameValues];
            if (encoding == EIGHT_BIT_FRAME) {
                if (b.remaining() < frameValues) {
                    throw new BufferUnderflowException();
                }
                for (int k = 0; k < frameValues; k++) {
                    f[k] = ImageFrames.normalised(b.get() & 0xFF);
                }
            } else if (encoding == FLOAT_FRAME) {
                if (b.remaining() < Float.BYTES * frameValues) {
                    throw new BufferUnderflowException();
                }
                b.asFloatBuffer().get(f);
                b.position(b.position() + Float.BYTES * frameValues);
            } else {
                throw new IllegalArgumentException("reservoir snapshot holds a frame of unknown encoding " + encoding);
            }
            part[i] = f;
        }
    }

    @Override
    public String toString() {
        return "NormalFrameReservoir[" + trainingSize() + "/" + capacity + " training, " + heldOutSize() + "/" + heldOutCapacity
                + " held out (every " + heldOutEvery + "th), " + offered + " offered"
                + (horizon == Long.MAX_VALUE ? "" : ", horizon " + horizon) + "]";
    }

    /** Settings of a reservoir; frame values are required, the rest have defaults. */
    public static final class Builder {
        private int frameValues;
        private int capacity = 1024;
        private int heldOutCapacity = 256;
        private int heldOutEvery = 5;
        private long horizon = Long.MAX_VALUE;
        private long seed;

        private Builder() {}

        /** Values of one frame: in_channels × image_size × image_size of the model (required). */
        public Builder setFrameValues(int frameValues) {
            this.frameValues = frameValues;
            return this;
        }

        /** Frames kept for training (default 1024). */
        public Builder optCapacity(int capacity) {
            this.capacity = capacity;
            return this;
        }

        /** Frames kept for validation (default 256). */
        public Builder optHeldOutCapacity(int heldOutCapacity) {
            this.heldOutCapacity = heldOutCapacity;
            return this;
        }

        /** Every k-th offered frame goes to the held-out part (default 5: a fifth of the stream). */
        public Builder optHeldOutEvery(int k) {
            this.heldOutEvery = k;
            return this;
        }

        /**
         * Weights the sample towards recent frames: each stream counts at most this many frames as seen (at least
         * the larger capacity; default none, a uniform sample of all frames).
         */
        public Builder optHorizon(long frames) {
            this.horizon = frames;
            return this;
        }

        /** Seed of the sampling decisions (default 0). */
        public Builder optSeed(long seed) {
            this.seed = seed;
            return this;
        }

        public NormalFrameReservoir build() {
            check(frameValues, capacity, heldOutCapacity, heldOutEvery, horizon);
            return new NormalFrameReservoir(frameValues, capacity, heldOutCapacity, heldOutEvery, horizon, seed);
        }

        static void check(int frameValues, int capacity, int heldOutCapacity, int heldOutEvery, long horizon) {
            if (frameValues <= 0) {
                throw new IllegalArgumentException("frame values must be set and positive (in_channels × image_size²), got " + frameValues);
            }
            if (capacity < 2) {
                throw new IllegalArgumentException("capacity must be at least 2 (a DIP batch needs 2 frames), got " + capacity);
            }
            if (heldOutCapacity < 1) {
                throw new IllegalArgumentException("held-out capacity must be at least 1, got " + heldOutCapacity);
            }
            if (heldOutEvery < 2) {
                throw new IllegalArgumentException("held-out every must be at least 2 (else no frame is left for training), got " + heldOutEvery);
            }
            if (horizon < Math.max(capacity, heldOutCapacity)) {
                throw new IllegalArgumentException("horizon " + horizon + " must be at least the larger capacity, "
                        + Math.max(capacity, heldOutCapacity));
            }
        }
    }
}
