package io.latentwatch.pipeline.operators;

import io.latentwatch.frames.Frame;
import io.latentwatch.scoring.FrameBatch;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import org.apache.flink.api.common.operators.ProcessingTimeService.ProcessingTimeCallback;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.BoundedOneInput;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;

/**
 * Gathers frames into {@link FrameBatch}es for the scorer: a batch is emitted when it holds {@code maxBatchSize}
 * frames, when its first frame has waited {@code maxDelay} (a processing-time timer), before every checkpoint
 * barrier, and at the end of input.
 *
 * <p>Nothing is lost on a checkpoint or a failure because the buffer is always empty when a checkpoint is taken:
 * {@link #prepareSnapshotPreBarrier(long)} emits it downstream before the barrier, so every frame the source has
 * acknowledged (its offset is in the checkpoint) is already in a batch ahead of the barrier. After a failure the
 * source rewinds to the checkpoint's offsets and the frames that were in the buffer are read again. The operator
 * therefore keeps no state of its own.
 *
 * <p>Runs in the task's mailbox thread (records, timers and checkpoints alike), so it needs no locking.
 */
public final class MicroBatchOperator extends AbstractStreamOperator<FrameBatch>
        implements OneInputStreamOperator<Frame, FrameBatch>, BoundedOneInput, ProcessingTimeCallback {

    private static final long serialVersionUID = 1L;

    private final int maxBatchSize;
    private final long maxDelayMillis;

    private transient List<Frame> buffer;
    private transient ScheduledFuture<?> timer;
    /** When the buffered batch must go at the latest (epoch ms), or -1 while the buffer is empty. */
    private transient long deadline;

    /**
     * @param maxBatchSize frames per batch at most, at least 1
     * @param maxDelay how long the first frame of a batch waits at most; zero emits every frame alone
     * @throws IllegalArgumentException for a batch size below 1 or a negative delay
     */
    public MicroBatchOperator(int maxBatchSize, Duration maxDelay) {
        if (maxBatchSize < 1) {
            throw new IllegalArgumentException("max batch size must be at least 1, got " + maxBatchSize);
        }
        if (maxDelay == null || maxDelay.isNegative()) {
            throw new IllegalArgumentException("max batch delay must be zero or positive, got " + maxDelay);
        }
        this.maxBatchSize = maxBatchSize;
        this.maxDelayMillis = maxDelay.toMillis();
    }

    @Override
    public void open() throws Exception {
        super.open();
        buffer = new ArrayList<>(maxBatchSize);
        deadline = -1;
    }

    @Override
    public void processElement(StreamRecord<Frame> element) throws Exception {
        buffer.add(element.getValue());
        if (buffer.size() >= maxBatchSize || maxDelayMillis == 0) {
            flush();
        } else if (buffer.size() == 1) {
            deadline = getProcessingTimeService().getCurrentProcessingTime() + maxDelayMillis;
            timer = getProcessingTimeService().registerTimer(deadline, this);
        }
    }

    /**
     * The first buffered frame has waited long enough; a timer of a batch that has gone already (cancelled while
     * its call was queued) finds a later deadline or none and does nothing.
     */
    @Override
    public void onProcessingTime(long time) throws Exception {
        if (deadline >= 0 && time >= deadline) {
            flush();
        }
    }

    @Override
    public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
        super.prepareSnapshotPreBarrier(checkpointId);
        flush();
    }

    @Override
    public void endInput() throws Exception {
        flush();
    }

    @Override
    public void finish() throws Exception {
        flush();
        super.finish();
    }

    @Override
    public void close() throws Exception {
        cancelTimer();
        super.close();
    }

    /** Frames waiting in the buffer (for tests). */
    int buffered() {
        return buffer.size();
    }

    private void flush() {
        cancelTimer();
        deadline = -1;
        if (buffer.isEmpty()) {
            return;
        }
        output.collect(new StreamRecord<>(FrameBatch.of(buffer)));
        buffer = new ArrayList<>(maxBatchSize);
    }

    private void cancelTimer() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }
}
