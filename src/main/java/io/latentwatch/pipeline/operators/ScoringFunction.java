package io.latentwatch.pipeline.operators;

import io.latentwatch.model.DipVaeConfig;
import io.latentwatch.scoring.BatchScorer;
import io.latentwatch.scoring.FrameBatch;
import io.latentwatch.scoring.ScoredBatch;
import io.latentwatch.scoring.ScoredFrame;
import java.nio.file.Paths;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The DIP-VAE scorer of the streaming job when its model never changes: one {@link FrameBatch} in, a {@link
 * ScoredFrame} per frame out (as a {@link ScoredBatch}, in the batch's order). With fine-tuning on, the job uses
 * {@link ModelSwitchingScoringFunction} instead, which does the same and also takes model updates.
 *
 * <p>{@link #open(OpenContext)} reads the model directory and builds a {@link BatchScorer} on this subtask's device
 * ({@link io.latentwatch.model.Devices#resolve(String, int)} with the subtask index, so subtask i takes GPU i modulo
 * the GPU count); {@link #close()} frees it. Each batch runs in its own NDManager scope inside the scorer. Metrics:
 * see {@link FrameBatchScorer}.
 */
public final class ScoringFunction extends RichMapFunction<FrameBatch, ScoredBatch> {

    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(ScoringFunction.class);

    private final String modelPath;
    private final FrameBatchScorer scorer;

    /**
     * @param modelPath the model directory, as the task managers see it
     * @param device auto | cpu | gpu | gpu:N
     * @param precision fp32 | fp16
     * @param expectedConfig the model's config as read when the job was built (the frames are normalised for it);
     *     a model of another shape found in open() is refused
     * @param mapPngMaxBytes the largest anomaly-map PNG of a frame with a region, for its alert; 0 renders none
     */
    public ScoringFunction(String modelPath, String device, String precision, DipVaeConfig expectedConfig, int mapPngMaxBytes) {
        this.modelPath = modelPath;
        this.scorer = new FrameBatchScorer(device, precision, expectedConfig, 0, mapPngMaxBytes);
    }

    @Override
    public void open(OpenContext openContext) throws Exception {
        scorer.open(getRuntimeContext());
        scorer.serve(scorer.load(Paths.get(modelPath), null));
        LOG.info("subtask {} scores with model {} on {}", getRuntimeContext().getTaskInfo().getIndexOfThisSubtask(), scorer.served(),
                scorer.device());
    }

    @Override
    public ScoredBatch map(FrameBatch batch) {
        return scorer.score(batch);
    }

    @Override
    public void close() throws Exception {
        scorer.close();
        super.close();
    }
}
