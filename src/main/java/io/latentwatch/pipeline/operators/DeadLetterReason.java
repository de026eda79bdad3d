package io.latentwatch.pipeline.operators;

import io.latentwatch.pipeline.kafka.DeadLetter;
import java.util.Locale;

/**
 * Why {@link FrameDecoder} refused a record, as a short stable category: the {@code reason} of its per-reason
 * {@code framesDeadLettered} counter. The dead letter itself carries the full message; this set is fixed so that the
 * metric's label values stay few.
 */
public enum DeadLetterReason {
    NO_KEY(DeadLetter.STAGE_VALIDATE),
    KEY_TOO_LONG(DeadLetter.STAGE_VALIDATE),
    FRAME_ID_TOO_LONG(DeadLetter.STAGE_VALIDATE),
    BAD_CAPTURED_AT(DeadLetter.STAGE_VALIDATE),
    /** More encoded bytes than latentwatch.frames.max-bytes. */
    FRAME_TOO_LARGE(DeadLetter.STAGE_VALIDATE),
    /** Wider, taller or of more pixels than latentwatch.frames.max-side or max-pixels. */
    IMAGE_TOO_LARGE(DeadLetter.STAGE_VALIDATE),
    WRONG_CHANNELS(DeadLetter.STAGE_VALIDATE),
    /** No value, or an empty one. */
    EMPTY(DeadLetter.STAGE_DECODE),
    /** Not an image, another format than PNG, JPEG and BMP, or truncated. */
    UNDECODABLE(DeadLetter.STAGE_DECODE);

    private final String stage;
    private final String label;

    DeadLetterReason(String stage) {
        this.stage = stage;
        this.label = name().toLowerCase(Locale.ROOT);
    }

    /** The stage that refuses for this reason: {@link DeadLetter#STAGE_VALIDATE} or {@link DeadLetter#STAGE_DECODE}. */
    public String stage() {
        return stage;
    }

    /**
     * The metric label value, e.g. {@code image_too_large}: letters and underscores only, which Flink's Prometheus
     * reporter passes unchanged (it replaces every other character with an underscore).
     */
    public String label() {
        return label;
    }
}
