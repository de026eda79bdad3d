package io.latentwatch.scoring;

/** The scores of one {@link FrameBatch}, a {@link ScoredFrame} per frame in the batch's order. A Flink POJO. */
public class ScoredBatch {

    public ScoredFrame[] frames;

    public ScoredBatch() {}

    public ScoredBatch(ScoredFrame[] frames) {
        this.frames = frames;
    }
}
