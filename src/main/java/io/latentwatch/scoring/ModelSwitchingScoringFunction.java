package io.latentwatch.scoring;

import io.latentwatch.model.DipVaeConfig;
import io.latentwatch.training.ModelUpdate;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.BroadcastState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;
import org.apache.flink.streaming.api.functions.co.BroadcastProcessFunction;
import org.apache.flink.util.Collector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The scorer of a job that fine-tunes its model: batches in on one input, {@code model-updates} JSON (broadcast to
 * every scorer) on the other.
 *
 * <p>An accepted update for another version than the served one is loaded on a background thread (files read, sha256
 * and shape checked against the update and the job) while scoring goes on with the old model; the next batch after
 * the load finishes is scored by the new one. Both callbacks run on the task's thread, so a swap always falls between
 * batches and there is no pause in scoring. A refused model is logged and counted ({@code modelRefusals}) and the old
 * one keeps serving. Rejected updates change nothing.
 *
 * <p>The last accepted update is kept in broadcast state: after a failure or restart each scorer opens that version
 * (falling back to the job's initial model if it is refused), not the initial model.
 */
public final class ModelSwitchingScoringFunction extends BroadcastProcessFunction<FrameBatch, String, ScoredBatch>
        implements CheckpointedFunction {

    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(ModelSwitchingScoringFunction.class);

    /** Broadcast state: {@value #SERVED} → the last accepted update's JSON. */
    public static final MapStateDescriptor<String, String> UPDATES = new MapStateDescriptor<>("model-updates", Types.STRING, Types.STRING);
    static final String SERVED = "served";

    private final String initialModelPath;
    private final FrameBatchScorer scorer;

    private transient String restoredUpdate;
    private transient ExecutorService loader;
    /** The load in flight and the update it serves; touched on the task thread only. */
    private transient CompletableFuture<ServedModel> loading;
    private transient ModelUpdate loadingUpdate;
    private transient Counter swaps;
    private transient Counter refusals;

    /**
     * @param initialModelPath the model served until an update says otherwise
     * @param device auto | cpu | gpu | gpu:N
     * @param precision fp32 | fp16
     * @param expectedConfig the config the job normalises frames for; a model of another shape is refused
     * @param sampleRate fraction of frames whose pixels go on to the fine-tuner's sampler
     */
    public ModelSwitchingScoringFunction(String initialModelPath, String device, String precision, DipVaeConfig expectedConfig,
            double sampleRate) {
        this.initialModelPath = initialModelPath;
        this.scorer = new FrameBatchScorer(device, precision, expectedConfig, sampleRate);
    }

    @Override
    public void initializeState(FunctionInitializationContext context) throws Exception {
        BroadcastState<String, String> state = context.getOperatorStateStore().getBroadcastState(UPDATES);
        restoredUpdate = context.isRestored() ? state.get(SERVED) : null;
    }

    @Override
    public void snapshotState(FunctionSnapshotContext context) {
        // the broadcast state is written in processBroadcastElement
    }

    @Override
    public void open(OpenContext openContext) throws Exception {
        scorer.open(getRuntimeContext());
        var metrics = getRuntimeContext().getMetricGroup().addGroup("latentwatch");
        swaps = metrics.counter("modelSwaps");
        refusals = metrics.counter("modelRefusals");
        loader = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "latentwatch-model-loader");
            t.setDaemon(true);
            return t;
        });
        int subtask = getRuntimeContext().getTaskInfo().getIndexOfThisSubtask();
        if (restoredUpdate != null) {
            ModelUpdate u = ModelUpdate.fromJson(restoredUpdate);
            try {
                scorer.serve(scorer.load(Paths.get(u.path()), u.sha256()));
                LOG.info("subtask {} restored model {} on {}", subtask, scorer.served(), scorer.device());
            } catch (Exception e) {
                refusals.inc();
                LOG.warn("subtask {}: the version served before the restart is refused ({}); serving the initial model", subtask, e.getMessage());
            }
        }
        if (scorer.served() == null) {
            scorer.serve(scorer.load(Paths.get(initialModelPath), null));
            LOG.info("subtask {} scores with model {} on {}", subtask, scorer.served(), scorer.device());
        }
    }

    @Override
    public void processElement(FrameBatch batch, ReadOnlyContext ctx, Collector<ScoredBatch> out) {
        if (loading != null && loading.isDone()) {
            finishLoad();
        }
        out.collect(scorer.score(batch));
    }

    @Override
    public void processBroadcastElement(String json, Context ctx, Collector<ScoredBatch> out) throws Exception {
        ModelUpdate update;
        try {
            update = ModelUpdate.fromJson(json);
        } catch (IllegalArgumentException e) {
            refusals.inc();
            LOG.warn("ignoring a model-updates record: {}", e.getMessage());
            return;
        }
        if (!update.accepted()) {
            LOG.info("model update rejected, version {} keeps serving: {}", scorer.served().version, update.reason());
            return;
        }
        ctx.getBroadcastState(UPDATES).put(SERVED, json); // same on every subtask: the state stays identical
        long wanted = update.version();
        if (loadingUpdate != null && loadingUpdate.version() == wanted) {
            return; // on its way
        }
        if (loading == null && wanted == scorer.served().version && sameDirectory(update)) {
            return; // served already
        }
        if (loading != null) {
            loading.thenAccept(ServedModel::close); // superseded: whatever it loads is dropped
        }
        Path dir = Paths.get(update.path());
        String sha = update.sha256();
        loadingUpdate = update;
        loading = CompletableFuture.supplyAsync(() -> {
            try {
                return scorer.load(dir, sha);
            } catch (Exception e) {
                throw new java.util.concurrent.CompletionException(e);
            }
        }, loader);
    }

    private boolean sameDirectory(ModelUpdate update) {
        return Paths.get(update.path()).toAbsolutePath().normalize().equals(scorer.served().directory.toAbsolutePath().normalize());
    }

    /** Swaps in the model a finished load produced, or keeps the old one if it was refused. */
    private void finishLoad() {
        ModelUpdate update = loadingUpdate;
        CompletableFuture<ServedModel> done = loading;
        loading = null;
        loadingUpdate = null;
        try {
            ServedModel next = done.get();
            long before = scorer.served().version;
            scorer.serve(next);
            swaps.inc();
            LOG.info("subtask {} switched from version {} to {}: {}", getRuntimeContext().getTaskInfo().getIndexOfThisSubtask(), before,
                    next, update.reason());
        } catch (ExecutionException e) {
            refusals.inc();
            Throwable cause = e.getCause() instanceof java.util.concurrent.CompletionException && e.getCause().getCause() != null
                    ? e.getCause().getCause() : e.getCause();
            LOG.warn("model update to version {} refused, version {} keeps serving: {}", update.version(), scorer.served().version,
                    String.valueOf(cause));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() throws Exception {
        if (loader != null) {
            loader.shutdownNow();
        }
        if (loading != null) {
            loading.thenAccept(ServedModel::close);
        }
        scorer.close();
        super.close();
    }
}
