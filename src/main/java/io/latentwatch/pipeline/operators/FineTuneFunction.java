package io.latentwatch.pipeline.operators;

import io.latentwatch.model.ModelDirectory;
import io.latentwatch.registry.ModelRegistry;
import io.latentwatch.registry.ModelUpdate;
import io.latentwatch.registry.RegisteredModel;
import io.latentwatch.tuning.FineTuneRound;
import io.latentwatch.tuning.FineTuneSettings;
import io.latentwatch.tuning.FineTuner;
import io.latentwatch.tuning.NormalFrameReservoir;
import io.latentwatch.tuning.ValidationGate;
import java.io.IOException;
import java.nio.file.Paths;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
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
 *       frames were sampled since the last one or T passed. The round runs on the fine-tuner's own thread, so
 *       sampling and checkpoints never wait for training; the next timer emits its decision.
 *   <li>The same timer watches the registry: if it now serves another version than the job (an operator pinned or
 *       rolled back, or a version registered just before a failure), that version is announced; if the job's version
 *       fails its check (a file corrupted after writing), a rejection with the reason is emitted, then the version the
 *       registry serves instead.
 * </ul>
 *
 * <p>Every registry access (adopting the job's model, storing the reference set, the watch and its sha256 checks)
 * runs on the fine-tuner's thread too, one task at a time; the timer on the task thread only starts tasks and picks
 * up their results. The fine-tuning side cannot take scoring down: a task that fails (a corrupt or missing registry
 * file, a failing disk, an exception in a round) is logged, counted in {@code fineTuneFailures} and emitted as a
 * rejection naming the cause, and that kind of task is retried after a backoff ({@value #FIRST_BACKOFF_MS} ms,
 * doubling to {@value #MAX_BACKOFF_MS} ms); nothing here throws into the job. close() interrupts a running round,
 * which stops at its next step, and waits up to {@value #CLOSE_WAIT_S} s for it.
 *
 * <p>State (operator state, parallelism 1): the reservoir's snapshot and the version the job serves, so a restarted
 * job samples on from where it was and announces the newest accepted version, never the initial model.
 *
 * <p>Metrics (group {@code latentwatch}): {@code fineTuneRounds}, {@code modelsAccepted}, {@code modelsRejected},
 * {@code fineTuneFailures}, and the gauge {@code reservoirFrames} (training and held-out frames the reservoir holds).
 */
public final class FineTuneFunction extends KeyedProcessFunction<Integer, float[], String> implements CheckpointedFunction {

    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(FineTuneFunction.class);
    static final long POLL_MS = 500;
    static final long FIRST_BACKOFF_MS = 1_000;
    static final long MAX_BACKOFF_MS = 60_000;
    static final long CLOSE_WAIT_S = 10;

    /** The fine-tuner thread's kinds of work; each backs off on its own after a failure. */
    private enum Task {
        OPEN_REGISTRY("opening the registry"),
        STORE_REFERENCE("storing the reference set"),
        ROUND("fine-tune round"),
        WATCH("watching the registry");

        final String what;

        Task(String what) {
            this.what = what;
        }
    }

    private final FineTuneSettings settings;
    private final String initialModelPath;

    private transient ListState<byte[]> reservoirState;
    private transient ListState<Long> servedState;
    private transient NormalFrameReservoir reservoir;
    /** The version the scorers were last told to serve; null before the first announcement of a fresh job. */
    private transient Long served;
    /** Null until the registry was opened (the job's model adopted into an empty one). */
    private transient ModelRegistry registry;
    private transient List<float[]> referenceCandidates;
    private transient boolean referenceReady;
    private transient long sampledSinceRound;
    private transient long lastRoundAt;
    private transient long rounds;
    private transient ExecutorService worker;
    private transient Future<Outcome> running;
    private transient Task runningTask;
    /** Frames the running round took from sampledSinceRound, given back if it fails or does not run. */
    private transient long runningFrames;
    /** Whether the registry was watched since the last round: a round waits for that, so a pin is seen first. */
    private transient boolean watched;
    private transient Map<Task, Long> retryAt;
    private transient Map<Task, Long> backoff;
    private transient List<ModelUpdate> toEmit;
    private transient Counter roundsRun;
    private transient Counter accepted;
    private transient Counter rejected;
    private transient Counter failures;

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
        failures = metrics.counter("fineTuneFailures");
        metrics.gauge("reservoirFrames", (org.apache.flink.metrics.Gauge<Integer>) () -> reservoir.trainingSize() + reservoir.heldOutSize());
        toEmit = new ArrayList<>();
        referenceCandidates = new ArrayList<>();
        referenceReady = false;
        registry = null;
        lastRoundAt = System.currentTimeMillis();
        retryAt = new EnumMap<>(Task.class);
        backoff = new EnumMap<>(Task.class);
        worker = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "latentwatch-fine-tuner");
            t.setDaemon(true);
            return t;
        });
        // the registry is opened on the fine-tuner's thread: a broken or slow one must not fail or stall open()
        submit(Task.OPEN_REGISTRY, openRegistry(served));
        LOG.info("fine-tuner: registry {}, serving version {}, reservoir {}", settings.registryPath(), served, reservoir);
    }

    @Override
    public void processElement(float[] pixels, Context ctx, Collector<String> out) throws Exception {
        if (!referenceReady && referenceCandidates.size() < settings.referenceFrames) {
            referenceCandidates.add(pixels); // stored by the timer's next task, or moved to the reservoir if the registry has a set
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
            collect(now);
        }
        if (running == null) {
            startNext(now);
        }
        for (ModelUpdate u : toEmit) {
            out.collect(u.toJson());
        }
        toEmit.clear();
        if (running != null || sampledSinceRound > 0 || registry == null || pendingReference()) {
            schedule(ctx.timerService());
        }
    }

    private boolean pendingReference() {
        return !referenceReady && referenceCandidates.size() >= settings.referenceFrames;
    }

    /**
     * Starts the most urgent task that is due and not backing off: opening the registry, the reference set, a round
     * (once the registry was watched since the last one), the watch.
     */
    private void startNext(long now) {
        if (registry == null) {
            if (due(Task.OPEN_REGISTRY, now)) {
                submit(Task.OPEN_REGISTRY, openRegistry(served));
            }
            return;
        }
        ModelRegistry r = registry;
        if (pendingReference() && due(Task.STORE_REFERENCE, now)) {
            List<float[]> frames = List.copyOf(referenceCandidates);
            submit(Task.STORE_REFERENCE, () -> storeReference(r, frames));
        } else if (watched && referenceReady && sampledSinceRound > 0
                && (sampledSinceRound >= settings.frames || now - lastRoundAt >= settings.interval.toMillis()) && due(Task.ROUND, now)) {
            startRound(r, now);
        } else if (due(Task.WATCH, now)) {
            Long job = served;
            submit(Task.WATCH, () -> watchRegistry(r, job, now));
        }
    }

    private boolean due(Task task, long now) {
        return now >= retryAt.getOrDefault(task, 0L);
    }

    private void submit(Task task, Callable<Outcome> work) {
        runningTask = task;
        running = worker.submit(work);
    }

    /** Applies what the finished task found, or turns its failure into a rejection, a count and a backoff. */
    private void collect(long now) {
        Task task = runningTask;
        Future<Outcome> done = running;
        running = null;
        runningTask = null;
        Outcome o;
        try {
            o = done.get();
        } catch (ExecutionException e) {
            fail(task, e.getCause(), now);
            return;
        } catch (InterruptedException | java.util.concurrent.CancellationException e) {
            fail(task, e, now);
            return;
        }
        backoff.remove(task);
        retryAt.remove(task);
        watched = task == Task.WATCH || (watched && task != Task.ROUND);
        if (o.registry != null) {
            registry = o.registry;
        }
        if (o.referenceReady != null) {
            if (o.referenceReady && task == Task.OPEN_REGISTRY) {
                // the registry already holds a reference set: what was collected meanwhile is training material
                referenceCandidates.forEach(reservoir::offer);
                sampledSinceRound += referenceCandidates.size();
                referenceCandidates = new ArrayList<>();
            } else if (o.referenceReady) {
                LOG.info("registry {}: {} reference frames stored for the gate", registry.root(), referenceCandidates.size());
                referenceCandidates = new ArrayList<>();
            }
            referenceReady = o.referenceReady;
        }
        if (o.served != null) {
            served = o.served;
        }
        if (task == Task.ROUND) {
            if (o.updates.isEmpty()) {
                sampledSinceRound += runningFrames; // not run (pinned): the frames still count towards the next round
            }
            for (ModelUpdate u : o.updates) {
                (u.accepted() ? accepted : rejected).inc();
                if (u.accepted()) {
                    served = u.version();
                }
            }
        }
        rejected.inc(o.refusals);
        toEmit.addAll(o.updates);
    }

    private void fail(Task task, Throwable cause, long now) {
        long wait = backoff.getOrDefault(task, FIRST_BACKOFF_MS);
        backoff.put(task, Math.min(2 * wait, MAX_BACKOFF_MS));
        retryAt.put(task, now + wait);
        failures.inc();
        Long parent = served;
        if (cause instanceof FineTuneRound.Failure f) {
            parent = f.parent != null ? f.parent : parent;
            cause = f.getCause();
        }
        if (task == Task.ROUND) {
            sampledSinceRound += runningFrames; // the round is retried after the backoff
        }
        String message = cause.getMessage() == null ? cause.toString() : cause.getMessage();
        String reason = task.what + " failed, retrying in " + wait / 1000.0 + " s: " + message;
        LOG.warn("fine-tuner: {}", reason, cause);
        toEmit.add(ModelUpdate.rejected(parent, reason, Double.NaN, Double.NaN, Instant.ofEpochMilli(now)));
    }

    /** Opens the registry; an empty one adopts the job's model as its first version. */
    private Callable<Outcome> openRegistry(Long jobServed) {
        FineTuneSettings s = settings;
        String model = initialModelPath;
        return () -> {
            Outcome o = new Outcome();
            ModelRegistry r = s.registry();
            if (r.versions().isEmpty()) {
                ModelUpdate initial = r.adopt(Paths.get(model));
                LOG.info("registry {} starts with the job's model: {}", r.root(), initial.toJson());
                o.updates.add(initial);
                o.served = initial.version();
            } else if (jobServed == null) {
                o.served = ModelDirectory.readMetadata(Paths.get(model)).version(); // what the scorers open
            }
            o.referenceReady = r.hasReferenceFrames();
            o.registry = r;
            return o;
        };
    }

    private static Outcome storeReference(ModelRegistry registry, List<float[]> frames) throws IOException {
        try {
            registry.writeReferenceFrames(frames);
        } catch (IllegalStateException e) {
            if (registry.referenceFrames().isEmpty()) {
                throw e; // a file without its record in registry.json: an operator has to choose one
            }
        }
        Outcome o = new Outcome();
        o.referenceReady = true;
        return o;
    }

    private void startRound(ModelRegistry r, long now) {
        List<float[]> training = reservoir.trainingFrames();
        List<float[]> heldOut = reservoir.heldOutFrames();
        runningFrames = sampledSinceRound;
        sampledSinceRound = 0;
        lastRoundAt = now;
        FineTuner tuner = settings.tuner().withSeed(settings.tuner().seed() + ++rounds);
        ValidationGate gate = settings.gate();
        Counter started = roundsRun;
        long round = rounds;
        Long from = served;
        submit(Task.ROUND, () -> {
            Outcome o = new Outcome();
            if (r.pinned().isPresent()) {
                return o; // the registry refuses candidates while pinned; sampling goes on
            }
            List<float[]> reference = r.referenceFrames().orElse(null);
            if (reference == null) {
                o.referenceReady = false; // registry.json lost its record of the set: collect a new one
                return o;
            }
            started.inc();
            LOG.info("fine-tune round {} of version {}: {} training, {} held-out, {} reference frames", round, from, training.size(),
                    heldOut.size(), reference.size());
            o.updates.add(new FineTuneRound(r, tuner, gate).attempt(training, heldOut, reference));
            return o;
        });
    }

    /** Announces the registry's serving version when it is not the job's, and a rejection when the job's fails its check. */
    private static Outcome watchRegistry(ModelRegistry registry, Long served, long now) throws IOException {
        Outcome o = new Outcome();
        Optional<RegisteredModel> serving = registry.serving();
        if (serving.isEmpty() || (served != null && serving.get().version() == served)) {
            return o;
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
                o.refusals++;
                o.updates.add(ModelUpdate.rejected(served, "version " + served + " refused after writing: " + e.getMessage(),
                        Double.NaN, Double.NaN, Instant.ofEpochMilli(now)));
                why = "version " + served + " was refused; registry serves version " + model.version();
            }
        }
        o.updates.add(ModelUpdate.serve(model, why, Instant.ofEpochMilli(now)));
        o.served = model.version();
        return o;
    }

    /** What a task on the fine-tuner's thread found; applied on the task thread by the timer that picks it up. */
    private static final class Outcome {
        final List<ModelUpdate> updates = new ArrayList<>();
        /** The version the scorers are told to serve now, if it changed. */
        Long served;
        /** Whether the registry holds a reference set, if the task learned it. */
        Boolean referenceReady;
        /** The opened registry. */
        ModelRegistry registry;
        /** Versions refused after writing, for modelsRejected. */
        int refusals;
    }

    private static void schedule(org.apache.flink.streaming.api.TimerService timers) {
        long now = timers.currentProcessingTime();
        timers.registerProcessingTimeTimer((now / POLL_MS + 1) * POLL_MS); // one timer per poll slot
    }

    /** Interrupts a running round (it stops at its next step) and waits a bounded time for the thread to end. */
    @Override
    public void close() throws Exception {
        if (worker != null) {
            worker.shutdownNow();
            // Flink interrupts a cancelled task's thread, maybe while it waits here: keep waiting out the bound anyway,
            // so the round's arrays are closed before the task (and its engine) goes
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(CLOSE_WAIT_S);
            boolean interrupted = false;
            boolean ended = false;
            while (!ended && System.nanoTime() < deadline) {
                try {
                    ended = worker.awaitTermination(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (!ended) {
                LOG.warn("fine-tuner thread still busy {} s after close (a native call that cannot be interrupted); left to end on its own",
                        CLOSE_WAIT_S);
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
        super.close();
    }
}
