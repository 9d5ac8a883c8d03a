/*
 * pause: the first process of every pod on the test bed's real node. It holds
 * the pod's namespaces (the CRI sandbox) and does nothing else: it sleeps,
 * reaps the children it inherits when the pod shares one PID namespace, and
 * exits on SIGINT or SIGTERM. No registry serves registry.k8s.io/pause here,
 * so test/k8s/node/build compiles this one statically into a tiny image.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void stop(int sig) {
  (void)sig;
  _exit(0);
}

static void reap(int sig) {
  (void)sig;
  while (waitpid(-1, NULL, WNOHANG) > 0) {
  }
}

static int on(int sig, void (*handler)(int), int flags) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = handler;
  sa.sa_flags = flags;
  sigemptyset(&sa.sa_mask);
  return sigaction(sig, &sa, NULL);
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "-v") == 0) {
    puts("switchyard pause");
    return 0;
  }
  if (getpid() != 1) {
    fputs("pause: warning: not the first process of its PID namespace\n", stderr);
  }
  if (on(SIGINT, stop, 0) || on(SIGTERM, stop, 0) || on(SIGCHLD, reap, SA_NOCLDSTOP | SA_RESTART)) {
    perror("pause: sigaction");
    return 1;
  }
  for (;;) {
    pause();
  }
}
