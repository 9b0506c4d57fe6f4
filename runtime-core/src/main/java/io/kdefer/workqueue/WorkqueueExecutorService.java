/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.workqueue;

import io.kdefer.cpu.CpuContext;
import io.kdefer.cpu.internal.SleepAwareThread;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * {@link Workqueue#asExecutorService()}: each task is a fresh work item on the queue.
 *
 * <h2>States</h2>
 * <pre>
 *   RUNNING     accepts tasks                          -&gt; SHUTDOWN    shutdown() / shutdownNow()
 *   SHUTDOWN    rejects tasks; accepted ones still run -&gt; TERMINATED  the last accepted task finished
 *   TERMINATED  isTerminated(); awaitTermination returns true
 * </pre>
 * A task is "accepted" when execute() returned normally; it then either runs exactly once or is returned by
 * shutdownNow() (never both: the item re-checks under the lock that it was not taken back before it starts).
 */
final class WorkqueueExecutorService extends AbstractExecutorService {
    private final Workqueue wq;                                   // I
    private final ReentrantLock lock = new ReentrantLock();      // I
    private final Condition terminatedCond = lock.newCondition();   // I
    private final Set<Task> notStarted = new LinkedHashSet<>();  // L(lock): accepted, not started, in order
    private final Set<Task> running = new LinkedHashSet<>();     // L(lock)
    private boolean shutdown;                                     // L(lock)
    private int accepted;                                         // L(lock): accepted and not finished

    private final class Task implements Runnable {
        final Runnable command;     // I
        final Work work;            // I
        Thread thread;              // L(lock): the worker running it

        Task(Runnable command) {
            this.command = command;
            this.work = new Work(this);
        }

        @Override
        public void run() {
            lock.lock();
            try {
                if (!notStarted.remove(this)) {
                    return;                                       // taken back by shutdownNow()
                }
                running.add(this);
                thread = Thread.currentThread();
            } finally {
                lock.unlock();
            }
            try {
                command.run();
            } finally {
                lock.lock();
                try {
                    running.remove(this);
                    thread = null;
                    finishedLocked();
                } finally {
                    lock.unlock();
                }
            }
        }

        @Override
        public String toString() {
            return command.toString();
        }
    }

    WorkqueueExecutorService(Workqueue wq) {
        this.wq = wq;
    }

    private void finishedLocked() {
        accepted--;
        if (accepted == 0 && shutdown) {
            terminatedCond.signalAll();
        }
    }

    @Override
    public void execute(Runnable command) {
        Objects.requireNonNull(command, "command");
        Task t = new Task(command);
        lock.lock();
        try {
            if (shutdown) {
                throw new RejectedExecutionException("executor of workqueue " + wq.name() + " is shut down");
            }
            notStarted.add(t);
            accepted++;
        } finally {
            lock.unlock();
        }
        if (!wq.queue(t.work)) {
            lock.lock();
            try {
                notStarted.remove(t);
                finishedLocked();
            } finally {
                lock.unlock();
            }
            throw new RejectedExecutionException("workqueue " + wq.name() + " refused the task (draining or "
                    + "destroyed)");
        }
    }

    // The JDK's own waits (FutureTask.get, the completion-service poll of invokeAny) park without telling the
    // pool; bracket them so that a worker waiting for tasks of its own pool lets another worker run them (B-WQ-30).

    @Override
    protected <T> java.util.concurrent.RunnableFuture<T> newTaskFor(Runnable runnable, T value) {
        return new SleepAwareFuture<>(java.util.concurrent.Executors.callable(runnable, value));
    }

    @Override
    protected <T> java.util.concurrent.RunnableFuture<T> newTaskFor(Callable<T> callable) {
        return new SleepAwareFuture<>(callable);
    }

    @Override
    public <T> List<Future<T>> invokeAll(Collection<? extends Callable<T>> tasks) throws InterruptedException {
        CpuContext.mightSleep("ExecutorService.invokeAll");
        SleepAwareThread token = SleepAwareThread.blockBegin();
        try {
            return super.invokeAll(tasks);
        } finally {
            SleepAwareThread.blockEnd(token);
        }
    }

    @Override
    public <T> List<Future<T>> invokeAll(Collection<? extends Callable<T>> tasks, long timeout, TimeUnit unit)
            throws InterruptedException {
        CpuContext.mightSleep("ExecutorService.invokeAll");
        SleepAwareThread token = SleepAwareThread.blockBegin();
        try {
            return super.invokeAll(tasks, timeout, unit);
        } finally {
            SleepAwareThread.blockEnd(token);
        }
    }

    @Override
    public <T> T invokeAny(Collection<? extends Callable<T>> tasks) throws InterruptedException, ExecutionException {
        CpuContext.mightSleep("ExecutorService.invokeAny");
        SleepAwareThread token = SleepAwareThread.blockBegin();
        try {
            return super.invokeAny(tasks);
        } finally {
            SleepAwareThread.blockEnd(token);
        }
    }

    @Override
    public <T> T invokeAny(Collection<? extends Callable<T>> tasks, long timeout, TimeUnit unit)
            throws InterruptedException, ExecutionException, TimeoutException {
        CpuContext.mightSleep("ExecutorService.invokeAny");
        SleepAwareThread token = SleepAwareThread.blockBegin();
        try {
            return super.invokeAny(tasks, timeout, unit);
        } finally {
            SleepAwareThread.blockEnd(token);
        }
    }

    /** A FutureTask whose waiting get() counts as sleeping on a worker. */
    private static final class SleepAwareFuture<T> extends FutureTask<T> {
        SleepAwareFuture(Callable<T> c) {
            super(c);
        }

        @Override
        public T get() throws InterruptedException, ExecutionException {
            if (isDone()) {
                return super.get();
            }
            CpuContext.mightSleep("Future.get");
            SleepAwareThread token = SleepAwareThread.blockBegin();
            try {
                return super.get();
            } finally {
                SleepAwareThread.blockEnd(token);
            }
        }

        @Override
        public T get(long timeout, TimeUnit unit) throws InterruptedException, ExecutionException, TimeoutException {
            if (isDone()) {
                return super.get(timeout, unit);
            }
            CpuContext.mightSleep("Future.get");
            SleepAwareThread token = SleepAwareThread.blockBegin();
            try {
                return super.get(timeout, unit);
            } finally {
                SleepAwareThread.blockEnd(token);
            }
        }
    }

    @Override
    public void shutdown() {
        lock.lock();
        try {
            shutdown = true;
            if (accepted == 0) {
                terminatedCond.signalAll();
            }
        } finally {
            lock.unlock();
        }
    }

    @Override
    public List<Runnable> shutdownNow() {
        List<Runnable> never = new ArrayList<>();
        List<Task> cancelled = new ArrayList<>();
        lock.lock();
        try {
            shutdown = true;
            for (Task t : notStarted) {
                never.add(t.command);
                cancelled.add(t);
                accepted--;
            }
            notStarted.clear();
            for (Task t : running) {
                if (t.thread != null) {
                    t.thread.interrupt();
                }
            }
            if (accepted == 0) {
                terminatedCond.signalAll();
            }
        } finally {
            lock.unlock();
        }
        for (Task t : cancelled) {
            t.work.cancel();               // if it already left the queue, its run() finds it taken back
        }
        return never;
    }

    @Override
    public boolean isShutdown() {
        lock.lock();
        try {
            return shutdown;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public boolean isTerminated() {
        lock.lock();
        try {
            return shutdown && accepted == 0;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
        Objects.requireNonNull(unit, "unit");
        CpuContext.mightSleep("ExecutorService.awaitTermination");
        long nanos = unit.toNanos(timeout);
        lock.lock();
        try {
            if (shutdown && accepted == 0) {
                return true;
            }
            SleepAwareThread token = SleepAwareThread.blockBegin();
            try {
                while (!(shutdown && accepted == 0)) {
                    if (nanos <= 0) {
                        return false;
                    }
                    nanos = terminatedCond.awaitNanos(nanos);
                }
                return true;
            } finally {
                SleepAwareThread.blockEnd(token);
            }
        } finally {
            lock.unlock();
        }
    }

    @Override
    public String toString() {
        lock.lock();
        try {
            return "ExecutorService[" + wq.name() + (shutdown ? accepted == 0 ? ", terminated" : ", shutdown" : "")
                    + ", " + accepted + " accepted]";
        } finally {
            lock.unlock();
        }
    }
}
