package io.latentwatch.pipeline.operators;

import io.latentwatch.model.DipVaeConfig;
import io.latentwatch.model.ModelFormatException;
import io.latentwatch.registry.ModelRegistry;
import io.latentwatch.registry.ModelUpdate;
import io.latentwatch.registry.ModelUpdateSignature;
import io.latentwatch.registry.ModelUpdateTrust;
import io.latentwatch.registry.ModelUpdateTrust.RefusedUpdateException;
import io.latentwatch.registry.RegisteredModel;
import io.latentwatch.scoring.FrameBatch;
import io.latentwatch.scoring.ScoredBatch;
import io.latentwatch.scoring.ServedModel;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;
import org.apache.flink.streaming.api.functions.co.BroadcastProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The scorer of a job that fine-tunes its model: batches in on one input, {@code model-updates} JSON (broadcast to
 * every scorer) on the other.
 *
 * <p>A record is believed only as {@link ModelUpdateTrust} says: it names a version of the job's own registry (the
 * directory comes from the registry option, never from the record), signed when a key is configured. Versions move
 * forward only; an older version is served only when the registry serves it (an operator's pin or rollback, which
 * the fine-tuner announces). Versions that pass are loaded one at a time, in the order they came, on a background
 * thread (the directory resolved on disk, files read, sha256, shapes and values checked) while scoring goes on with
 * the old model; the next batch after a load is scored by the new one. A refused record or model changes nothing:
 * it is counted ({@code modelRefusals}), logged once per version, and answered on {@link #REFUSED_UPDATES} as a
 * rejection with its reason. Nothing a record holds can fail the job.
 *
 * <p>State: the update of the model each subtask serves (union list state), written at each checkpoint, so it only
 * ever holds a version that was loaded and served. After a failure or a rescale every scorer opens the newest of
 * those decisions (checked again), else the job's initial model.
 */
public final class ModelSwitchingScoringFunction extends BroadcastProcessFunction<FrameBatch, String, ScoredBatch>
        implements CheckpointedFunction {

    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(ModelSwitchingScoringFunction.class);
    /** Refusals remembered for logging once each; older ones may be logged again. */
    private static final int REMEMBERED_REFUSALS = 256;
    /** Accepted updates waiting for their load; more are refused (a flood of records must not grow the heap). */
    private static final int MAX_PENDING = 64;

    /** Rejections of refused records, as model-updates JSON (emitted by subtask 0 only). */
    public static final OutputTag<String> REFUSED_UPDATES = new OutputTag<>("refused-model-updates") {};

    /**
     * The broadcast side's state descriptor, which a broadcast stream must name. It stays empty: records are not kept
     * before they are checked, and the served update lives in {@link #SERVED_UPDATE}.
     */
    public static final MapStateDescriptor<String, String> UPDATES = new MapStateDescriptor<>("model-updates", Types.STRING, Types.STRING);

    static final ListStateDescriptor<String> SERVED_UPDATE = new ListStateDescriptor<>("served-model-update", Types.STRING);

    private final String initialModelPath;
    private final String registryPath;
    private final String signingKeyFile;
    private final FrameBatchScorer scorer;

    private transient ListState<String> servedState;
    private transient List<ModelUpdate> restored;
    private transient ModelUpdateTrust trust;
    private transient ModelRegistry registry;
    private transient ExecutorService loader;
    /** The update that put the served model in; null while the initial model serves. */
    private transient ModelUpdate servedUpdate;
    /** Accepted updates in the order they came, waiting for the load in flight; task thread only. */
    private transient ArrayDeque<ModelUpdate> pending;
    /** The load in flight and the update it serves; touched on the task thread only. */
    private transient CompletableFuture<ServedModel> loading;
    private transient ModelUpdate loadingUpdate;
    private transient Set<String> logged;
    private transient Counter swaps;
    private transient Counter refusals;

    /**
     * @param initialModelPath the model served until an update says otherwise
     * @param registryPath the registry whose versions updates may name
     * @param signingKeyFile a file holding the HMAC key every update must be signed with; null to take unsigned ones
     * @param device auto | cpu | gpu | gpu:N
     * @param precision fp32 | fp16
     * @param expectedConfig the config the job normalises frames for; a model of another shape is refused
     * @param sampleRate fraction of frames whose pixels go on to the fine-tuner's sampler
     * @param mapPngMaxBytes the largest anomaly-map PNG of a frame with a region, for its alert; 0 renders none
     */
    public ModelSwitchingScoringFunction(String initialModelPath, String registryPath, String signingKeyFile, String device, String precision,
            DipVaeConfig expectedConfig, double sampleRate, int mapPngMaxBytes) {
        this.initialModelPath = initialModelPath;
        this.registryPath = registryPath;
        this.signingKeyFile = signingKeyFile;
        this.scorer = new FrameBatchScorer(device, precision, expectedConfig, sampleRate, mapPngMaxBytes);
    }

    @Override
    public void initializeState(FunctionInitializationContext context) throws Exception {
        servedState = context.getOperatorStateStore().getUnionListState(SERVED_UPDATE);
        restored = new ArrayList<>();
        if (context.isRestored()) {
            for (String json : servedState.get()) {
                try {
                    restored.add(ModelUpdate.fromJson(json));
                } catch (IllegalArgumentException e) {
                    LOG.warn("ignoring a served-model entry of the restored state: {}", e.getMessage());
                }
            }
        }
    }

    @Override
    public void snapshotState(FunctionSnapshotContext context) throws Exception {
        servedState.update(servedUpdate == null ? List.of() : List.of(servedUpdate.toJson()));
    }

    @Override
    public void open(OpenContext openContext) throws Exception {
        scorer.open(getRuntimeContext());
        var metrics = getRuntimeContext().getMetricGroup().addGroup("latentwatch");
        swaps = metrics.counter("modelSwaps");
        refusals = metrics.counter("modelRefusals");
        int subtask = subtask();
        logged = new LinkedHashSet<>();
        pending = new ArrayDeque<>();
        // a key that cannot be read is the job's configuration, not a record's content: the job does not start
        trust = new ModelUpdateTrust(Paths.get(registryPath), signingKeyFile == null ? null : ModelUpdateSignature.fromKeyFile(Paths.get(signingKeyFile)));
        registry = ModelRegistry.builder().setRoot(trust.registry()).build();
        loader = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "latentwatch-model-loader");
            t.setDaemon(true);
            return t;
        });
        // the newest decision any subtask served (after a rescale each subtask gets every subtask's entry)
        Optional<ModelUpdate> last = restored.stream().max(Comparator.comparing(ModelUpdate::createdAt));
        if (last.isPresent()) {
            try {
                ModelUpdate u = last.get();
                scorer.serve(load(u, false));
                servedUpdate = u;
                LOG.info("subtask {} restored model {} on {}", subtask, scorer.served(), scorer.device());
            } catch (Exception e) {
                refusals.inc();
                LOG.warn("subtask {}: the version served before the restart is refused ({}); serving the initial model", subtask, reason(e));
            }
        }
        restored = null;
        if (scorer.served() == null) {
            scorer.serve(scorer.load(Paths.get(initialModelPath), null));
            LOG.info("subtask {} scores with model {} on {}", subtask, scorer.served(), scorer.device());
        }
    }

    @Override
    public void processElement(FrameBatch batch, ReadOnlyContext ctx, Collector<ScoredBatch> out) {
        pollLoad(answer -> ctx.output(REFUSED_UPDATES, answer));
        out.collect(scorer.score(batch));
    }

    @Override
    public void processBroadcastElement(String json, Context ctx, Collector<ScoredBatch> out) {
        Consumer<String> answer = a -> ctx.output(REFUSED_UPDATES, a);
        pollLoad(answer);
        ModelUpdate update;
        try {
            update = trust.parse(json);
        } catch (RefusedUpdateException e) {
            refuse(answer, e.version(), e.getMessage(), false);
            return;
        }
        if (!update.accepted()) {
            LOG.info("model update rejected, version {} keeps serving: {}", scorer.served().version, shown(update.reason()));
            return;
        }
        if (pending.size() >= MAX_PENDING) {
            refuse(answer, update.version(), MAX_PENDING + " updates are waiting to be loaded already", false);
            return;
        }
        pending.add(update);
        pollLoad(answer);
    }

    /**
     * Finishes a load that is done (swapping the model in, or refusing it) and starts the next pending one. Updates
     * are loaded one at a time in the order they came, so that a refused one never hides a good one behind it.
     */
    private void pollLoad(Consumer<String> answer) {
        if (loading != null && loading.isDone()) {
            finishLoad(answer);
        }
        while (loading == null && !pending.isEmpty()) {
            ModelUpdate update = pending.poll();
            ServedModel served = scorer.served();
            if (update.version() == served.version && update.sha256().equalsIgnoreCase(served.sha256)) {
                continue; // served already
            }
            boolean backwards = update.version() < served.version;
            loadingUpdate = update;
            loading = CompletableFuture.supplyAsync(() -> {
                try {
                    return load(update, backwards);
                } catch (Exception e) {
                    throw new CompletionException(e);
                }
            }, loader);
        }
    }

    /**
     * Resolves the version's directory in the registry and loads it; runs on the loader thread (or in open()).
     *
     * @param backwards whether the version is older than the one served: then the registry must serve it
     */
    private ServedModel load(ModelUpdate update, boolean backwards) throws Exception {
        Path dir = trust.resolve(update.version());
        if (backwards) {
            Optional<RegisteredModel> serving = registry.serving();
            if (serving.isEmpty() || serving.get().version() != update.version()) {
                throw new RefusedUpdateException(update.version(), "version " + update.version() + " is older than the one served, and the registry"
                        + " serves " + serving.map(m -> "version " + m.version()).orElse("nothing") + " (versions move back only by a pin or rollback)");
            }
        }
        ServedModel m = scorer.load(dir, update.sha256());
        if (m.version != update.version()) {
            m.close();
            throw new ModelFormatException("model.json of " + dir + " says version " + m.version + ", the update names version " + update.version());
        }
        return m;
    }

    /** Swaps in the model a finished load produced, or keeps the old one if it was refused. */
    private void finishLoad(Consumer<String> answer) {
        ModelUpdate update = loadingUpdate;
        CompletableFuture<ServedModel> done = loading;
        loading = null;
        loadingUpdate = null;
        try {
            ServedModel next = done.get();
            long before = scorer.served().version;
            scorer.serve(next);
            servedUpdate = update;
            swaps.inc();
            LOG.info("subtask {} switched from version {} to {}: {}", getRuntimeContext().getTaskInfo().getIndexOfThisSubtask(), before,
                    next, shown(update.reason()));
        } catch (ExecutionException e) {
            refuse(answer, update.version(), "model of version " + update.version() + " refused by scorer " + subtask() + ": "
                    + reason(e.getCause()), true);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Counts a refusal, logs it once per version (or reason), and answers it on model-updates: a record's own fault
     * (found alike by every subtask, which all read every record) is answered by subtask 0 alone; a model's files that
     * fail to load by each subtask that found it (their storage may differ).
     */
    private void refuse(Consumer<String> answer, Long version, String reason, boolean bySubtask) {
        refusals.inc();
        String key = version != null ? "v" + version : reason;
        if (logged.add(key)) {
            if (logged.size() > REMEMBERED_REFUSALS) {
                logged.remove(logged.iterator().next());
            }
            LOG.warn("model update {}refused, version {} keeps serving: {}", version == null ? "" : "to version " + version + " ",
                    scorer.served().version, reason);
        }
        if (bySubtask || subtask() == 0) {
            String what = version == null ? "a model-updates record" : "the update to version " + version;
            answer.accept(ModelUpdate.rejected(scorer.served().version, "scorers refused " + what + ": " + reason,
                    Double.NaN, Double.NaN, Instant.now()).toJson());
        }
    }

    private int subtask() {
        return getRuntimeContext().getTaskInfo().getIndexOfThisSubtask();
    }

    /** The innermost message of a load's failure, one line. */
    private static String reason(Throwable t) {
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t instanceof RefusedUpdateException || t instanceof ModelFormatException ? t.getMessage() : String.valueOf(t);
    }

    private static String shown(String text) {
        return text.length() > 200 ? text.substring(0, 200) + "..." : text;
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
