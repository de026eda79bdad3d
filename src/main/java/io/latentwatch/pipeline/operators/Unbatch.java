package io.latentwatch.pipeline.operators;

import io.latentwatch.scoring.ScoredBatch;
import io.latentwatch.scoring.ScoredFrame;
import org.apache.flink.api.common.functions.FlatMapFunction;
import org.apache.flink.util.Collector;

/** The frames of a scored micro-batch, one by one, in the batch's order. */
public final class Unbatch implements FlatMapFunction<ScoredBatch, ScoredFrame> {
    private static final long serialVersionUID = 1L;

    @Override
    public void flatMap(ScoredBatch batch, Collector<ScoredFrame> out) {
        for (ScoredFrame f : batch.frames) {
            out.collect(f);
        }
    }
}
