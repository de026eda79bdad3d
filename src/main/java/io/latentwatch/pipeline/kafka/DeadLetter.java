package io.latentwatch.pipeline.kafka;

/**
 * A frame that cannot be scored, on its way to the dead-letter topic: the record as it arrived, why it was refused,
 * and at which stage. A Flink POJO.
 */
public class DeadLetter {

    /** The image could not be read: empty, not an image, truncated. */
    public static final String STAGE_DECODE = "decode";
    /** The record was readable but breaks a rule: no key, too large, wrong channel count, bad header. */
    public static final String STAGE_VALIDATE = "validate";

    public RawFrame frame;
    public String error;
    public String stage;

    public DeadLetter() {}

    public DeadLetter(RawFrame frame, String stage, String error) {
        this.frame = frame;
        this.stage = stage;
        this.error = error;
    }

    @Override
    public String toString() {
        return "DeadLetter[" + frame + ", " + stage + ": " + error + "]";
    }
}
