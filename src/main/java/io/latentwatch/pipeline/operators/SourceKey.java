package io.latentwatch.pipeline.operators;

import io.latentwatch.scoring.ScoredFrame;
import org.apache.flink.api.java.functions.KeySelector;

/** Keys scored frames by source: thresholds are kept per source. */
public final class SourceKey implements KeySelector<ScoredFrame, String> {
    private static final long serialVersionUID = 1L;

    @Override
    public String getKey(ScoredFrame f) {
        return f.source;
    }
}
