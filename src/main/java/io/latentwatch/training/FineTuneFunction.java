package io.latentwatch.training;

import io.latentwatch.model.ModelDirectory;
import java.io.IOException;
import java.nio.file.Paths;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The side pipeline's fine-tuner: sampled normal frames in, {@code model-updates} JSON out (one {@link ModelUpdate}
 * per decision). Runs at parallelism 1 on a stream keyed by a constant (for timers).
 *
 * <ul>
 *   <li>The first R sampled frames become the registry's fixed reference set (once per registry); later ones enter a
 *       {@link NormalFrameReservoir}.
 *   <li>A processing-time timer, every {@value #POLL_MS} ms while there is work, starts a {@link FineTuneRound} when N
 *       frames were sampled since the last one or T passed. The round runs on its own thread, so sampling and
 *       checkpoints never wait for training; the next timer emits its decision.
 *   <li>The same timer watches the registry: if it now serves another version than the job (an operator pinned or
 *       rolled back, or a version registered just before a failure), that version is announced; if the job's version
 *       fails its check (a file corrupted after writing), a rejection with the reason is emitted, then the version the
 *       registry serves instead.
 * </ul>
 *
 * <p>State (operator state, parallelism 1): the reservoir's snapshot and the version the job serves, so a restarted
 * job samples on from where it was and announces the newest accepted version, never the initial model.
 *
 * <p>Metrics (group {@code latentwatch}): {@code fineTuneRounds}, {@code modelsAccepted}, {@code modelsRejected}, and
 * the gauge {@code reservoirFrames} (training and held-out frames the reservoir holds).
 */
public final class FineTuneFunction extends KeyedProcessFunction<Integer, float[], String> implements CheckpointedFunction {

    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(FineTuneFunction.class);
    static final long POLL_MS = 500;

    private final FineTuneSettings settings;
    private final String initialModelPath;

    private transient ListState<byte[]> reservoirState;
    private transient ListState<Long> servedState;
    private transient NormalFrameReservoir reservoir;
    /** The version the scorers were last told to serve; null before the first announcement of a fresh job. */
    private transient Long served;
    private transient ModelRegistry registry;
    private transient List<float[]> referenceCandidates;
    private transient boolean referenceReady;
    private transient long sampledSinceRound;
    private transient long lastRoundAt;
    private transient long rounds;
    private transient ExecutorService trainer;
    private transient Future<ModelUpdate> running;
    private transient List<ModelUpdate> toEmit;
    private transient Counter roundsRun;
    private transient Counter accepted;
    private transient Counter rejected;

    /**
     * @param settings registry, schedule, fine-tune, gate and reservoir settings
     * @param initialModelPath the job's model, adopted as the first version of an empty registry
     */
    public FineTuneFunction(FineTuneSettings settings, String initialModelPath) {
        this.settings = settings;
        this.initialModelPath = initialModelPath;
    }

    /** Keys every sample alike: the fine-tuner is one keyed instance, for its timers. */
    public static final class ConstantKey implements org.apache.flink.api.java.functions.KeySelector<float[], Integer> {
        private static final long serialVersionUID = 1L;

        @Override
        public Integer getKey(float[] pixels) {
            return 0;
        }
    }

    @Override
    public void initializeState(FunctionInitializationContext context) throws Exception {
        reservoirState = context.getOperatorStateStore().getListState(new ListStateDescriptor<>("reservoir",
                org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO));
        servedState = context.getOperatorStateStore().getListState(new ListStateDescriptor<>("served-version", Types.LONG));
        reservoir = null;
        served = null;
        if (context.isRestored()) {
            for (byte[] snapshot : reservoirState.get()) {
                reservoir = NormalFrameReservoir.restore(snapshot);
            }
            for (Long v : servedState.get()) {
                served = v;
            }
        }
        if (reservoir == null) {
            reservoir = settings.newReservoir();
        }
    }

    @Override
    public void snapshotState(FunctionSnapshotContext context) throws Exception {
        reservoirState.update(List.of(reservoir.snapshot()));
        servedState.update(served == null ? List.of() : List.of(served));
    }

    @Override
    public void open(OpenContext openContext) throws Exception {
        var metrics = getRuntimeContext().getMetricGroup().addGroup("latentwatch");
        roundsRun = metrics.counter("fineTuneRounds");
        accepted = metrics.counter("modelsAccepted");
        rejected = metrics.counter("modelsRejected");
        metrics.gauge("reservoirFrames", (org.apache.flink.metrics.Gauge<Integer>) () -> reservoir.trainingSize() + reservoir.heldOutSize());
        toEmit = new ArrayList<>();
        registry = settings.registry();
        if (registry.versions().isEmpty()) {
            ModelUpdate initial = registry.adopt(Paths.get(initialModelPath));
            LOG.info("registry {} starts with the job's model: {}", registry.root(), initial.toJson());
            toEmit.add(initial);
            served = initial.version();
        } else if (served == null) {
            served = ModelDirectory.readMetadata(Paths.get(initialModelPath)).version(); // what the scorers open
        }
        referenceReady = registry.referenceFrames().isPresent();
        referenceCandidates = new ArrayList<>();
        lastRoundAt = System.currentTimeMillis();
        trainer = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "latentwatch-fine-tuner");
            t.setDaemon(true);
            return t;
        });
        LOG.info("fine-tuner: registry {}, serving version {}, reservoir {}", registry.root(), served, reservoir);
    }

    @Override
    public void processElement(float[] pixels, Context ctx, Collector<String> out) throws Exception {
        if (!referenceReady) {
            referenceCandidates.add(pixels);
            if (referenceCandidates.size() >= settings.referenceFrames) {
                registry.writeReferenceFrames(referenceCandidates);
                LOG.info("registry {}: {} reference frames stored for the gate", registry.root(), referenceCandidates.size());
                referenceCandidates = new ArrayList<>();
                referenceReady = true;
            }
        } else {
            reservoir.offer(pixels);
            sampledSinceRound++;
        }
        schedule(ctx.timerService());
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<String> out) throws Exception {
        long now = System.currentTimeMillis();
        if (running != null && running.isDone()) {
            ModelUpdate update = running.get(); // a round never throws
            running = null;
            (update.accepted() ? accepted : rejected).inc();
            toEmit.add(update);
            if (update.accepted()) {
                served = update.version();
            }
        }
        if (running == null) {
            watchRegistry(now);
        }
        for (ModelUpdate u : toEmit) {
            out.collect(u.toJson());
        }
        toEmit.clear();
        if (running == null && referenceReady && sampledSinceRound > 0
                && (sampledSinceRound >= settings.frames || now - lastRoundAt >= settings.interval.toMillis())) {
            startRound(now);
        }
        if (running != null || sampledSinceRound > 0) {
            schedule(ctx.timerService());
        }
    }

    private void startRound(long now) throws IOException {
        if (registry.pinned().isPresent()) {
            return; // the registry refuses candidates while pinned; sampling goes on
        }
        List<float[]> training = reservoir.trainingFrames();
        List<float[]> heldOut = reservoir.heldOutFrames();
        List<float[]> reference = registry.referenceFrames().orElseThrow();
        sampledSinceRound = 0;
        lastRoundAt = now;
        FineTuner tuner = settings.tuner().withSeed(settings.tuner().seed() + ++rounds);
        roundsRun.inc();
        LOG.info("fine-tune round {} of version {}: {} training, {} held-out, {} reference frames", rounds, served, training.size(),
                heldOut.size(), reference.size());
        running = trainer.submit(() -> new FineTuneRound(registry, tuner, settings.gate()).run(training, heldOut, reference));
    }

    /** Announces the registry's serving version when it is not the job's, and a rejection when the job's fails its check. */
    private void watchRegistry(long now) {
        Optional<RegisteredModel> serving;
        try {
            serving = registry.serving();
        } catch (IOException e) {
            LOG.warn("registry {} unreadable: {}", registry.root(), e.toString());
            return;
        }
        if (serving.isEmpty() || (served != null && serving.get().version() == served)) {
            return;
        }
        RegisteredModel model = serving.get();
        String why;
        try {
            why = "registry now serves version " + model.version() + (registry.pinned().isPresent() ? " (pinned by an operator)" : "");
        } catch (IOException e) {
            why = "registry now serves version " + model.version();
        }
        if (served != null) {
            try {
                registry.get(served);
            } catch (IllegalArgumentException e) {
                // the job's version is gone (pruned or never registered): nothing to reject
            } catch (IOException e) {
                rejected.inc();
                toEmit.add(ModelUpdate.rejected(served, "version " + served + " refused after writing: " + e.getMessage(),
                        Double.NaN, Double.NaN, Instant.ofEpochMilli(now)));
                why = "version " + served + " was refused; registry serves version " + model.version();
            }
        }
        toEmit.add(ModelUpdate.serve(model, why, Instant.ofEpochMilli(now)));
        served = model.version();
    }

    private static void schedule(org.apache.flink.streaming.api.TimerService timers) {
        long now = timers.currentProcessingTime();
        timers.registerProcessingTimeTimer((now / POLL_MS + 1) * POLL_MS); // one timer per poll slot
    }

    @Override
    public void close() throws Exception {
        if (trainer != null) {
            trainer.shutdownNow();
        }
        super.close();
    }
}
